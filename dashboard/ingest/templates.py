"""Upload templates, generated from dashboard/contract.py: one XLSX and one CSV per dataset.

XLSX: sheet «Dữ liệu» with the Vietnamese labels as headers (a comment on each header gives
the rules), drop-down lists for enum columns (values from the hidden sheet «Danh mục»), code
columns formatted as text so Excel keeps leading zeros, dates as dd/mm/yyyy; sheet «Hướng dẫn»
explains each column, shows an example row and the rules of the upload. When the user's units
are given, sheet «Đơn vị» lists them so codes can be looked up.
CSV: UTF-8 with BOM (Excel shows Vietnamese correctly), header row of labels only.
"""
from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from dashboard import config, contract
from dashboard.contract import Column, Dataset

DATA_SHEET = "Dữ liệu"
HELP_SHEET = "Hướng dẫn"
LISTS_SHEET = "Danh mục"
UNITS_SHEET = "Đơn vị"
VALIDATED_ROWS = config.get("template_validated_rows")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TYPE_LABELS = {"text": "chữ", "integer": "số nguyên", "decimal": "số (có thể có phần thập "
               "phân)", "date": "ngày (dd/mm/yyyy)", "month": "tháng (MM/YYYY hoặc YYYY-MM)",
               "enum": "chọn trong danh sách"}

HEADER_FILL = PatternFill("solid", fgColor="B3261E")
REQUIRED_FONT = Font(bold=True, color="FFFFFF")
OPTIONAL_FILL = PatternFill("solid", fgColor="F4D6D3")

GENERAL_RULES = [
    "Mỗi dòng là một bản ghi; dòng đầu tiên của trang «Dữ liệu» là dòng tiêu đề, giữ nguyên "
    "tên cột (có thể đổi thứ tự cột, bỏ cột không bắt buộc).",
    "Cột có tiêu đề in đậm trên nền đỏ là bắt buộc.",
    "Ngày ghi dạng dd/mm/yyyy (ví dụ 15/03/2024) hoặc dùng định dạng ngày của Excel.",
    "Mã xã, mã tỉnh chính thức có số 0 ở đầu (ví dụ 07210): ô mã đã để dạng chữ để Excel "
    "không xóa số 0; nếu bị mất số 0, hệ thống tự thêm lại.",
    "Có thể dùng mã xã cũ (trước 01/07/2025): hệ thống tự chuyển sang xã mới và báo lại; xã "
    "cũ bị chia cho nhiều xã mới thì người nhập phải chọn.",
    "Không gộp ô, không thêm dòng «Tổng cộng», không dùng công thức (dán giá trị).",
    "Nhập lại một dòng đã có (cùng mã) sẽ cập nhật dòng đó; tải lại đúng tệp cũ không thay "
    "đổi gì.",
    "Mặc định, tệp có lỗi thì không dòng nào được ghi: sửa các ô được tô màu trong tệp kết "
    "quả kiểm tra rồi tải lên lại.",
]


def enum_values(col: Column) -> list[str]:
    """The drop-down values: the Vietnamese display label of each code."""
    return [labels[0] if labels else code for code, labels in (col.enum or {}).items()]


def suggested_values(col: Column) -> list[str]:
    """Usual values of free-text columns (drop-down that still accepts other text)."""
    if col.name == "cell_type":
        return list(contract.CELL_TYPES)
    if col.name == "indicator":
        return list(contract.INDICATOR_LABELS)
    return []


def example_row(ds: Dataset) -> list:
    """The example values as the user would type them (enum codes shown as labels)."""
    out = []
    for c in ds.columns:
        v = c.example
        if c.enum and v in c.enum:
            v = contract.enum_label(c.enum, v)
        out.append("" if v is None else v)
    return out


def columns_table(ds: Dataset) -> pd.DataFrame:
    """What each column means, for the page and the instruction sheet."""
    example = example_row(ds)
    return pd.DataFrame(
        [{"Cột (tiêu đề)": c.label, "Tên chuẩn": c.name, "Kiểu": TYPE_LABELS[c.type],
          "Bắt buộc": "có" if c.required else "không", "Quy tắc": c.rules(),
          "Ví dụ": "" if ex is None else str(ex)}
         for c, ex in zip(ds.columns, example)])


def user_units(db) -> pd.DataFrame:
    """The user's units, listed in the templates so codes can be looked up."""
    return db.units()


def file_name(dataset: str, kind: str) -> str:
    return f"mau_{dataset}.{kind}"


def csv_template(dataset: str) -> bytes:
    ds = contract.DATASETS[dataset]
    header = ",".join(_csv_cell(c.label) for c in ds.columns)
    return ("\ufeff" + header + "\r\n").encode("utf-8")


def _csv_cell(text: str) -> str:
    return f'"{text}"' if any(ch in text for ch in ',"\n') else text


def _comment(col: Column) -> Comment:
    text = (f"{col.label} ({col.name}) — {TYPE_LABELS[col.type]}\n{col.rules()}")
    if col.example is not None:
        ex = contract.enum_label(col.enum, col.example) if col.enum else col.example
        text += f"\nVí dụ: {ex}"
    c = Comment(text, "Ban Dân vận")
    c.width, c.height = 320, 140
    return c


def xlsx_template(dataset: str, units: pd.DataFrame | None = None) -> bytes:
    ds = contract.DATASETS[dataset]
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    lists = wb.create_sheet(LISTS_SHEET)
    list_col = 0
    for j, col in enumerate(ds.columns, start=1):
        letter = get_column_letter(j)
        cell = ws.cell(row=1, column=j, value=col.label)
        cell.font = REQUIRED_FONT if col.required else Font(bold=False, color="000000")
        cell.fill = HEADER_FILL if col.required else OPTIONAL_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.comment = _comment(col)
        ws.column_dimensions[letter].width = max(14, min(40, len(col.label) + 6))
        body = f"{letter}2:{letter}{VALIDATED_ROWS + 1}"
        if col.type == "text" and (col.references or col.name.endswith(("_code", "_id"))):
            for row in range(2, 202):  # text format keeps leading zeros of codes
                ws.cell(row=row, column=j).number_format = "@"
        if col.type == "date":
            for row in range(2, 202):
                ws.cell(row=row, column=j).number_format = "DD/MM/YYYY"
        choices = enum_values(col) if col.enum else suggested_values(col)
        if choices:
            list_col += 1
            ll = get_column_letter(list_col)
            lists.cell(row=1, column=list_col, value=col.label).font = Font(bold=True)
            for i, v in enumerate(choices, start=2):
                lists.cell(row=i, column=list_col, value=v)
            ref = f"'{LISTS_SHEET}'!${ll}$2:${ll}${len(choices) + 1}"
            dv = DataValidation(type="list", formula1=ref, allow_blank=not col.required)
            if col.enum:
                dv.error = "Chọn một giá trị trong danh sách: " + "; ".join(choices)
                dv.errorTitle = f"{col.label}: giá trị không hợp lệ"
                dv.showErrorMessage = True
            else:   # usual values offered, other text accepted
                dv.errorStyle = "information"
                dv.error = "Giá trị không có trong danh sách thường dùng (vẫn được chấp nhận)."
                dv.showErrorMessage = True
            dv.prompt = f"Chọn {col.label.lower()} trong danh sách"
            dv.showInputMessage = True
            ws.add_data_validation(dv)
            dv.add(body)
        elif col.type in ("integer", "decimal") and col.min is not None:
            dv = DataValidation(type="whole" if col.type == "integer" else "decimal",
                                operator="greaterThanOrEqual", formula1=str(int(col.min)),
                                allow_blank=True)
            dv.error = f"{col.label} phải là số ≥ {col.min:g}."
            dv.errorTitle = f"{col.label}: giá trị không hợp lệ"
            dv.showErrorMessage = True
            ws.add_data_validation(dv)
            dv.add(body)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 32
    lists.sheet_state = "hidden"
    _help_sheet(wb.create_sheet(HELP_SHEET), ds)
    if units is not None and len(units):
        _units_sheet(wb.create_sheet(UNITS_SHEET), units)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _help_sheet(ws, ds: Dataset) -> None:
    bold = Font(bold=True)
    ws["A1"] = f"Mẫu nhập dữ liệu: {ds.label} ({ds.name})"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = ds.description
    ws["A3"] = ("Khóa (không trùng trong tệp): " + ", ".join(ds.column(k).label for k in ds.key))
    r = 5
    headers = ["Cột (tiêu đề)", "Tên chuẩn", "Kiểu", "Bắt buộc", "Quy tắc", "Ví dụ"]
    for j, h in enumerate(headers, start=1):
        ws.cell(row=r, column=j, value=h).font = bold
    example = example_row(ds)
    for c, ex in zip(ds.columns, example):
        r += 1
        values = [c.label, c.name, TYPE_LABELS[c.type], "có" if c.required else "không",
                  c.rules(), ex]
        for j, v in enumerate(values, start=1):
            cell = ws.cell(row=r, column=j, value=v)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    r += 2
    ws.cell(row=r, column=1, value="Dòng ví dụ (gõ vào trang «Dữ liệu» như sau):").font = bold
    r += 1
    for j, c in enumerate(ds.columns, start=1):
        ws.cell(row=r, column=j, value=c.label).font = bold
        ws.cell(row=r + 1, column=j, value=example[j - 1])
    r += 3
    ws.cell(row=r, column=1, value="Quy tắc chung").font = bold
    for rule in GENERAL_RULES:
        r += 1
        ws.cell(row=r, column=1, value="• " + rule)
    for letter, width in zip("ABCDEF", (26, 20, 22, 10, 70, 30)):
        ws.column_dimensions[letter].width = width


def _units_sheet(ws, units: pd.DataFrame) -> None:
    ws.append(["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in units.itertuples():
        ws.append([r.unit_code, r.unit_name, contract.enum_label(contract.LEVELS, r.level),
                   r.parent_code if isinstance(r.parent_code, str) else ""])
    for letter, width in zip("ABCD", (14, 36, 12, 18)):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2, max_col=1):
        for cell in row:
            cell.number_format = "@"
    ws.freeze_panes = "A2"
