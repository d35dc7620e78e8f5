"""Import pipeline: good files in every accepted shape, and nasty files that must change nothing
and say exactly what is wrong (row as the user sees it, column, value, Vietnamese message)."""
import datetime as dt
import io
import unicodedata

import openpyxl
import pytest

from dashboard import ingest, store

UNITS = """Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ
24,Tỉnh Bắc Ninh,Tỉnh,,
07210,Phường Bắc Giang,Phường,24,
07210-01,Tổ dân phố số 1,Tổ dân phố,07210,120
07210-02,Tổ dân phố số 2,Tổ dân phố,07210,90
"""
CELLS_OK = """Mã tổ,Tên tổ,Mã thôn/xã,Giai đoạn,Ngày thành lập,Số thành viên,Số hộ phụ trách
T1,Tổ một,07210-01,Thí điểm,15/03/2024,5,40
T2,Tổ hai,07210-02,Nhân rộng,2024-06-01,6,41
"""


@pytest.fixture
def db(tmp_path):
    d = store.Database(tmp_path / "i.duckdb")
    r = ingest.import_bytes(d, "units", UNITS.encode(), "units.csv")
    assert r.committed, r.summary_text()
    yield d
    d.close()


def snapshot(db):
    return {t: db.df(f"SELECT * FROM {t} ORDER BY ALL").to_dict("records")
            for t in ("units", "cells", "models", "indicators", "batches", "batch_changes")}


def check_rejected(db, dataset, data, name="bad.csv"):
    before = snapshot(db)
    r = ingest.import_bytes(db, dataset, data, name)
    assert not r.committed and not r.ok
    assert snapshot(db) == before, "a rejected file must change nothing"
    return r


def problem(r, row, column):
    hits = [p for p in r.errors if p.row == row and p.column == column]
    assert hits, f"no error at row {row}, column {column}: {[p.as_dict() for p in r.errors]}"
    return hits[0]


def test_good_file_commits_one_batch_and_reimport_updates(db):
    r = ingest.import_bytes(db, "cells", CELLS_OK.encode(), "cells.csv")
    assert r.committed and (r.new, r.updated, r.unchanged, r.rejected) == (2, 0, 0, 0)
    cells = db.df("SELECT * FROM cells ORDER BY cell_id")
    assert list(cells.cell_id) == ["T1", "T2"]
    assert cells.established_on[0].date() == dt.date(2024, 3, 15)
    assert list(cells.phase) == ["pilot", "rollout"]
    b = db.df("SELECT * FROM batches WHERE dataset = 'cells'").iloc[0]
    assert b.file_name == "cells.csv" and len(b.sha256) == 64 and b.rows_new == 2
    # same file again: unchanged; one edited row: updated
    again = ingest.import_bytes(db, "cells", CELLS_OK.encode(), "cells.csv")
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    edited = CELLS_OK.replace("Tổ hai,07210-02,Nhân rộng,2024-06-01,6,41",
                              "Tổ hai,07210-02,Nhân rộng,2024-06-01,7,41")
    upd = ingest.import_bytes(db, "cells", edited.encode(), "cells2.csv")
    assert (upd.new, upd.updated, upd.unchanged) == (0, 1, 1) and upd.committed
    assert db.scalar("SELECT members FROM cells WHERE cell_id = 'T2'") == 7
    assert db.scalar("SELECT count(*) FROM cells") == 2


def test_dry_run_writes_nothing_and_summarises(db):
    before = snapshot(db)
    r = ingest.import_bytes(db, "cells", CELLS_OK.encode(), "cells.csv", dry_run=True)
    assert r.ok and not r.committed and r.new == 2
    assert snapshot(db) == before
    text = r.summary_text()
    assert "Mới: 2" in text and "CHẠY THỬ" in text


def test_missing_required_column(db):
    data = "Mã tổ,Tên tổ,Mã thôn/xã,Giai đoạn,Ngày thành lập,Số thành viên\nT1,A,07210-01,pilot,01/01/2024,5\n"
    r = check_rejected(db, "cells", data.encode())
    assert any("Số hộ phụ trách" in p.message and p.row is None for p in r.errors)


def test_every_error_is_reported_at_once(db):
    data = (CELLS_OK
            + "T3,Tổ ba,XX-99,Thí điểm,01/01/2024,5,40\n"          # unknown unit: row 4
            + "T1,Tổ một lặp,07210-01,Thí điểm,01/01/2024,5,40\n"   # duplicate key: row 5
            + "T4,Tổ bốn,07210-01,Thí điểm,01/01/2024,0,40\n"      # members 0: row 6
            + "T5,Tổ năm,07210-01,Thí điểm,01/01/2024,năm,40\n")   # text in number: row 7
    r = check_rejected(db, "cells", data.encode())
    assert problem(r, 4, "Mã thôn/xã").value == "XX-99"
    assert "trùng" in problem(r, 5, "Mã tổ").message
    p = problem(r, 6, "Số thành viên")
    assert p.value == "0" and "≥ 1" in p.message
    p = problem(r, 7, "Số thành viên")
    assert p.value == "năm" and "số nguyên" in p.message
    assert r.rejected == 4 and r.new == 2   # counted, but nothing written


def test_ended_before_established(db):
    data = ("Mã tổ,Tên tổ,Mã thôn/xã,Giai đoạn,Ngày thành lập,Ngày giải thể,Số thành viên,"
            "Số hộ phụ trách\nT1,A,07210-01,pilot,01/06/2024,01/01/2024,5,40\n")
    r = check_rejected(db, "cells", data.encode())
    p = problem(r, 2, "Ngày giải thể")
    assert "trước ngày" in p.message


def test_cell_attached_to_province_is_refused(db):
    data = CELLS_OK.replace("07210-02", "24")
    r = check_rejected(db, "cells", data.encode())
    assert "thôn" in problem(r, 3, "Mã thôn/xã").message


def test_utf8_bom_file(db):
    r = ingest.import_bytes(db, "cells", CELLS_OK.encode("utf-8-sig"), "bom.csv")
    assert r.committed, r.summary_text()
    assert db.scalar("SELECT cell_name FROM cells WHERE cell_id = 'T1'") == "Tổ một"


def to_cp1258(text: str) -> bytes:
    """Windows-1258 keeps â ê ô ă ơ ư đ precomposed and writes tone marks as combining marks."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out).encode("cp1258")


def test_windows_1258_file(db):
    data = to_cp1258(CELLS_OK.replace("Tổ hai", "Tổ Nguyễn Thị Hường"))
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    r = ingest.import_bytes(db, "cells", data, "cp1258.csv")
    assert r.committed, r.summary_text()
    assert db.scalar("SELECT cell_name FROM cells WHERE cell_id = 'T2'") == "Tổ Nguyễn Thị Hường"


def test_utf16_tab_separated_file(db):
    data = CELLS_OK.replace(",", "\t").encode("utf-16")
    r = ingest.import_bytes(db, "cells", data, "utf16.txt")
    assert r.committed, r.summary_text()


def test_semicolon_file_with_decimal_commas(db):
    data = ("Mã đơn vị;Kỳ;Chỉ số;Giá trị\n"
            "07210;03/2024;feedback_received;12,5\n"
            "07210;2024-04;feedback_received;1.234,75\n"
            "07210-01;5/2024;antt_incidents;3\n")
    r = ingest.import_bytes(db, "indicators", data.encode(), "semi.csv")
    assert r.committed, r.summary_text()
    got = db.df("SELECT unit_code, period, value FROM indicators ORDER BY period").values.tolist()
    assert got == [["07210", "2024-03", 12.5], ["07210", "2024-04", 1234.75],
                   ["07210-01", "2024-05", 3.0]]


def xlsx_bytes(rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Hướng dẫn"
    ws.append(["Sheet hướng dẫn — không phải dữ liệu"])
    data = wb.create_sheet("cells")
    for row in rows:
        data.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_with_excel_dates_and_codes_without_leading_zeros(tmp_path):
    d = store.Database(tmp_path / "x.duckdb")
    # units as Excel would keep them: the commune code typed as a number loses its zero
    units = xlsx_bytes([["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên", "Số hộ"],
                        [24, "Tỉnh Bắc Ninh", "Tỉnh", None, None],
                        [7210, "Phường Bắc Giang", "Phường", 24, 300]])
    r = ingest.import_bytes(d, "units", units, "units.xlsx")
    assert r.committed, r.summary_text()
    assert set(d.df("SELECT unit_code FROM units").unit_code) == {"24", "07210"}
    cells = xlsx_bytes([["Mã tổ", "Tên tổ", "Mã thôn/xã", "Giai đoạn", "Ngày thành lập",
                         "Số thành viên", "Số hộ phụ trách"],
                        ["T1", "Tổ một", 7210, "Thí điểm", dt.datetime(2024, 3, 15), 5, 40],
                        ["T2", "Tổ hai", "7210", "rollout", "45458", "6", "41"]])
    r = ingest.import_bytes(d, "cells", cells, "cells.xlsx")
    assert r.committed, r.summary_text()
    got = d.df("SELECT cell_id, unit_code, established_on FROM cells ORDER BY 1")
    assert list(got.unit_code) == ["07210", "07210"]
    assert got.established_on[0].date() == dt.date(2024, 3, 15)
    assert got.established_on[1].date() == dt.date(2024, 6, 15)   # Excel serial 45458
    d.close()


def test_bad_row_numbers_match_the_spreadsheet(tmp_path):
    d = store.Database(tmp_path / "x.duckdb")
    ingest.import_bytes(d, "units", UNITS.encode(), "u.csv")
    cells = xlsx_bytes([["Danh sách tổ dân vận (tiêu đề)"], [],
                        ["Mã tổ", "Tên tổ", "Mã thôn/xã", "Giai đoạn", "Ngày thành lập",
                         "Số thành viên", "Số hộ phụ trách"],
                        ["T1", "Tổ một", "07210-01", "pilot", "01/01/2024", 5, 40],
                        ["T2", "Tổ hai", "07210-01", "pilot", "31/02/2024", 5, 40]])
    r = ingest.import_bytes(d, "cells", cells, "c.xlsx")
    p = problem(r, 5, "Ngày thành lập")
    assert p.value == "31/02/2024"
    d.close()


def test_reference_name_mismatch_is_a_warning_not_an_error(tmp_path):
    d = store.Database(tmp_path / "w.duckdb")
    data = UNITS.replace("Phường Bắc Giang", "Phường Bắc Giang Mới Đổi Tên")
    r = ingest.import_bytes(d, "units", data.encode(), "u.csv")
    assert r.committed
    assert any(p.severity == "warning" and "07210" in p.message for p in r.problems)
    d.close()


def test_unknown_dataset_and_empty_file(db):
    with pytest.raises(ingest.DatasetError):
        ingest.get_dataset("villages")
    r = check_rejected(db, "cells", b"", "empty.csv")
    assert "rỗng" in r.errors[0].message
