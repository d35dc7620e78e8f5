"""The user's own file back with the problem cells highlighted and a comment on each, so they
fix it in Excel where they work.

XLSX upload: the same workbook (their formatting, other sheets kept), problem cells filled
(red for errors, yellow for warnings) with a cell comment giving the message and suggestion,
plus a sheet «Kết quả kiểm tra» listing every problem.
CSV upload: an XLSX of the CSV, each row at the row number the user saw in the CSV (so the
row numbers of the report match), annotated the same way.
"""
from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from dashboard import contract
from dashboard.ingest.pipeline import ImportReport, Problem

ERROR_FILL = PatternFill("solid", fgColor="F8B4B4")
WARNING_FILL = PatternFill("solid", fgColor="FFE699")
REPORT_SHEET = "Kết quả kiểm tra"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def annotated_name(file_name: str) -> str:
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    return f"{stem}_kiem_tra.xlsx"


def _column_index(report: ImportReport) -> dict[str, int]:
    """Problem column (a contract label, a canonical name or a file header) -> 1-based column
    of the file."""
    if report.raw is None:
        return {}
    headers = list(report.raw.frame.columns)
    pos = {h: i + 1 for i, h in enumerate(headers)}
    out = dict(pos)
    ds = contract.DATASETS.get(report.dataset)
    for header, name in report.column_map.items():
        if header in pos:
            out[name] = pos[header]
            if ds is not None:
                out[ds.column(name).label] = pos[header]
    return out


def _text(p: Problem) -> str:
    kind = "Lỗi" if p.severity == "error" else "Cảnh báo"
    text = f"{kind}: {p.message}"
    if p.suggestion:
        text += f"\n→ {p.suggestion}"
    return text


def _set_text(cell, value) -> None:
    """A literal value, never a formula (a CSV cell '=1+1' stays text)."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def _mark(ws, row: int, col: int, problems: list[Problem]) -> None:
    cell = ws.cell(row=row, column=col)
    if isinstance(cell, MergedCell):   # part of a merged area: mark its top-left cell
        for rng in ws.merged_cells.ranges:
            if cell.coordinate in rng:
                cell = ws.cell(row=rng.min_row, column=rng.min_col)
                break
    error = any(p.severity == "error" for p in problems)
    cell.fill = ERROR_FILL if error else WARNING_FILL
    text = "\n\n".join(_text(p) for p in problems)
    if cell.comment is not None and cell.comment.text:
        text = cell.comment.text + "\n\n" + text
    comment = Comment(text[:30000], "Kiểm tra dữ liệu")
    comment.width, comment.height = 360, min(400, 90 + 40 * len(problems))
    cell.comment = comment


def _load_workbook(report: ImportReport, data: bytes):
    """(workbook, sheet, header_row, row_offset). For CSV, a new workbook from the table."""
    raw = report.raw
    if raw is not None and raw.kind == "xlsx":
        try:
            wb = load_workbook(io.BytesIO(data))
            ws = wb[raw.sheet] if raw.sheet in wb.sheetnames else wb.worksheets[0]
            return wb, ws, raw.header_row
        except Exception:   # unreadable by openpyxl: fall back to the table as read
            pass
    wb = Workbook()
    ws = wb.active
    ws.title = "Dữ liệu"
    if raw is None:
        return wb, ws, 1
    header_row = raw.header_row or 1
    bold = Font(bold=True)
    for j, h in enumerate(raw.frame.columns, start=1):
        c = ws.cell(row=header_row, column=j)
        _set_text(c, str(h))
        c.font = bold
    for values, r in zip(raw.frame.itertuples(index=False), raw.row_numbers):
        for j, v in enumerate(values, start=1):
            if v not in (None, ""):
                _set_text(ws.cell(row=r, column=j), str(v))
    for j, h in enumerate(raw.frame.columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(12, min(40, len(str(h)) + 4))
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    return wb, ws, header_row


def annotate(report: ImportReport, data: bytes) -> bytes:
    """The uploaded file with every problem marked (XLSX bytes)."""
    wb, ws, header_row = _load_workbook(report, data)
    cols = _column_index(report)
    cells: dict[tuple[int, int], list[Problem]] = {}
    for p in report.problems:
        col = cols.get(p.column) if p.column else None
        if p.row is not None:
            key = (p.row, col or 1)
        elif col is not None:
            key = (header_row, col)
        else:
            key = (header_row, 1)
        cells.setdefault(key, []).append(p)
    for (r, c), problems in cells.items():
        try:
            _mark(ws, r, c, problems)
        except (ValueError, AttributeError, TypeError):
            continue
    _report_sheet(wb, report)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _report_sheet(wb, report: ImportReport) -> None:
    if REPORT_SHEET in wb.sheetnames:
        del wb[REPORT_SHEET]
    ws = wb.create_sheet(REPORT_SHEET)
    ws.append([f"Kiểm tra tệp {report.file_name} — bộ dữ liệu {report.dataset}"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([f"Mới: {report.new} · Cập nhật: {report.updated} · Không đổi: "
               f"{report.unchanged} · Bị từ chối: {report.rejected} · Lỗi: "
               f"{len(report.errors)} · Cảnh báo: {len(report.warnings)}"])
    ws.append([])
    ws.append(["Dòng", "Cột", "Giá trị", "Vấn đề", "Gợi ý", "Mức độ"])
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for p in report.problems:
        ws.append([p.row, p.column or "", "", p.message, p.suggestion,
                   "Lỗi" if p.severity == "error" else "Cảnh báo"])
        _set_text(ws.cell(row=ws.max_row, column=3), p.value)
        ws.cell(row=ws.max_row, column=4).fill = (ERROR_FILL if p.severity == "error"
                                                  else WARNING_FILL)
    for letter, width in zip("ABCDEF", (8, 22, 22, 70, 40, 10)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A5"
