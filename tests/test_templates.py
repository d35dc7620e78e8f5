"""Templates: generated from the contract; a filled template imports without error."""
import datetime as dt
import io

import pandas as pd
from openpyxl import load_workbook

from dashboard import contract, ingest, store
from dashboard.ingest import pipeline, templates


def test_xlsx_structure():
    wb = load_workbook(io.BytesIO(templates.xlsx_template("cells")))
    assert wb.sheetnames == ["Dữ liệu", "Danh mục", "Hướng dẫn"]
    ws = wb["Dữ liệu"]
    assert [c.value for c in ws[1]] == [c.label for c in contract.CELLS.columns]
    assert "bắt buộc" in ws["A1"].comment.text
    lists = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    # phase (column E) is a strict drop-down of the Vietnamese labels
    phase = lists["E2"]
    assert phase.type == "list" and phase.showErrorMessage and phase.errorStyle in (None, "stop")
    col = phase.formula1.split("!")[1].split(":")[0].replace("$", "")[0]
    values = [c.value for c in wb["Danh mục"][col][1:] if c.value]
    assert values == ["Thí điểm", "Nhân rộng"]
    assert wb["Danh mục"].sheet_state == "hidden"
    # cell type: usual values offered, other text allowed
    assert lists["C2"].errorStyle == "information"
    help_text = " ".join(str(c.value) for row in wb["Hướng dẫn"].iter_rows() for c in row
                         if c.value)
    assert "Dòng ví dụ" in help_text and "Tổng cộng" in help_text and "T0001" in help_text


def test_csv_template_header():
    text = templates.csv_template("models").decode("utf-8")
    assert text.startswith("\ufeff")
    assert text.strip("\ufeff\r\n").split(",") == [c.label for c in contract.MODELS.columns]


def _fill(dataset: str, rows: list[list]) -> bytes:
    wb = load_workbook(io.BytesIO(templates.xlsx_template(dataset)))
    ws = wb["Dữ liệu"]
    for i, row in enumerate(rows, start=2):
        for j, v in enumerate(row, start=1):
            ws.cell(row=i, column=j, value=v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_filled_templates_import_cleanly(demo_copy):
    db = store.Database(demo_copy)
    # as Excel users type them: real dates, numbers, labels from the drop-downs
    units = _fill("units", [["07210-77", "Thôn Mẫu", "Thôn", "07210", 150, 600]])
    r = ingest.import_bytes(db, "units", units, "mau_units.xlsx")
    assert r.committed and r.new == 1 and not r.problems
    cells = _fill("cells", [["TM1", "Tổ mẫu", "Tổ dân vận cộng đồng", "07210-77", "Thí điểm",
                             dt.datetime(2024, 3, 15), None, 6, 40, "Tuyên truyền"]])
    r = ingest.import_bytes(db, "cells", cells, "mau_cells.xlsx")
    assert r.committed and r.new == 1 and not r.problems
    models = _fill("models", [["MM1", "Camera", "Quốc phòng – an ninh", "Xã", "07210",
                               "Công an", dt.datetime(2023, 6, 1), None, "Tỉnh", 320, 21.18,
                               106.07, "Mô tả"]])
    r = ingest.import_bytes(db, "models", models, "mau_models.xlsx")
    assert r.committed and r.new == 1 and not r.problems
    ind = _fill("indicators", [["07210", "2015-03", "feedback_received", 12.5]])
    r = ingest.import_bytes(db, "indicators", ind, "mau_indicators.xlsx")
    assert r.committed and r.new == 1 and not r.problems
    got = db.df("SELECT * FROM cells WHERE cell_id = 'TM1'").iloc[0]
    assert (got.phase, got.members, got.established_on.date()) == ("pilot", 6,
                                                                   dt.date(2024, 3, 15))
    assert db.scalar("SELECT field FROM models WHERE model_id = 'MM1'") == "defense_security"
    db.close()


def test_example_rows_parse():
    # every example value passes the column parser (the instruction sheet never lies)
    for ds in contract.DATASETS.values():
        raw = pd.DataFrame([templates.example_row(ds)], columns=[c.label for c in ds.columns])
        from dashboard.ingest import readers
        table = readers.RawTable(raw.astype(str).replace("", ""), [2], "csv")
        for col in ds.columns:
            text = str(table.frame[col.label].iloc[0])
            if text:
                series, errors = pipeline._parse_column(col, pd.Series([text]))
                assert not errors, (ds.name, col.name, text)


def test_units_sheet_lists_user_units():
    units = pd.DataFrame({"unit_code": ["07210"], "unit_name": ["Phường Bắc Giang"],
                          "level": ["commune"], "parent_code": ["24"]})
    wb = load_workbook(io.BytesIO(templates.xlsx_template("cells", units)))
    assert [c.value for c in wb["Đơn vị"][2]] == ["07210", "Phường Bắc Giang", "Xã", "24"]
    # the data sheet is still the one read on upload
    r = pipeline.readers.read_table(templates.xlsx_template("cells", units), "x.xlsx")
    assert r.sheet == "Dữ liệu"
