"""CSV/XLSX downloads: BOM, Vietnamese text, types, and formula neutralisation."""
import datetime as dt
import io

import openpyxl
import pandas as pd

from dashboard.output import exports


def frame():
    return pd.DataFrame({
        "unit_name": ["Phường Kinh Bắc", "=HYPERLINK(\"http://x\",\"bấm\")", "+1", "-2+3",
                      "@SUM(A1)", " =1", "bình thường", None],
        "households": [1200, -5, 0, 3, 4, 5, 6, 7],
        "coverage_pct": [45.5, 0.0, 1.25, None, 2.0, 3.0, 4.0, 5.0],
        "established_on": [dt.date(2024, 3, 15)] * 8,
    })


def test_neutralise_values():
    assert exports.neutralise("=1+1") == "'=1+1"
    assert exports.neutralise("+84 912") == "'+84 912"
    assert exports.neutralise("-x") == "'-x"
    assert exports.neutralise("@cmd") == "'@cmd"
    assert exports.neutralise("  =cmd") == "'  =cmd"
    assert exports.neutralise("\tx") == "'\tx"
    assert exports.neutralise("Thôn 1 - Đông") == "Thôn 1 - Đông"
    assert exports.neutralise(-5) == -5
    assert exports.neutralise(None) is None
    assert exports.neutralise("") == ""


def test_plain_csv_has_bom_and_vietnamese_and_neutralised_cells():
    data = exports.to_csv_bytes(frame(), "plain")
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == "unit_name,households,coverage_pct,established_on"
    assert lines[1] == "Phường Kinh Bắc,1200,45.5,2024-03-15"
    assert lines[2] == "\"'=HYPERLINK(\"\"http://x\"\",\"\"bấm\"\")\",-5,0.0,2024-03-15"
    assert lines[3].startswith("'+1,0,1.25,")
    assert lines[4].startswith("'-2+3,3,,")
    assert lines[5].startswith("'@SUM(A1),")
    assert lines[6].startswith("' =1,")
    assert lines[7].startswith("bình thường,6,")
    assert lines[8].startswith(",7,5.0,")
    # round trip: pandas reads it back with the same text
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert back["unit_name"].iloc[0] == "Phường Kinh Bắc"
    assert back["households"].tolist() == [1200, -5, 0, 3, 4, 5, 6, 7]


def test_csv_datetime_and_lists():
    df = pd.DataFrame({"d": pd.to_datetime(["2025-07-01", "2025-07-02"]),
                       "ts": pd.to_datetime(["2025-07-01 10:30", "2025-07-02 00:00"]),
                       "l": [["07210", "07211"], []]})
    text = exports.to_csv_bytes(df, "plain").decode("utf-8-sig").split("\r\n")
    assert text[1].startswith("2025-07-01,2025-07-01 10:30:00,07210; 07211")
    assert text[2].startswith("2025-07-02,2025-07-02 00:00:00,")


def test_xlsx_types_and_neutralised_text():
    data = exports.to_xlsx_bytes(frame(), sheet_name="Độ phủ")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["Độ phủ"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("unit_name", "households", "coverage_pct", "established_on")
    assert rows[1][0] == "Phường Kinh Bắc"
    assert rows[1][1] == 1200 and rows[1][2] == 45.5
    assert rows[1][3] == dt.datetime(2024, 3, 15)
    assert ws.cell(2, 4).number_format == "dd/mm/yyyy"
    assert rows[2][0].startswith("'=HYPERLINK")
    assert rows[2][1] == -5
    assert rows[4][2] is None  # NaN -> empty cell
    assert rows[8][0] is None
    # No cell is stored as a formula
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
    assert ws.freeze_panes == "A2"


def test_xlsx_title_row():
    data = exports.to_xlsx_bytes(pd.DataFrame({"a": [1]}), title="Hồ sơ xã")
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws["A1"].value == "Hồ sơ xã"
    assert ws["A3"].value == "a" and ws["A4"].value == 1


def test_csv_for_vietnamese_excel_is_the_default():
    """';' between fields, decimal comma, dd/mm/yyyy, BOM, no thousands separators."""
    data = exports.to_csv_bytes(frame())
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "unit_name;households;coverage_pct;established_on"
    assert lines[1] == "Phường Kinh Bắc;1200;45,5;15/03/2024"
    assert lines[3].startswith("'+1;0;1,25;")
    assert lines[4].startswith("'-2+3;3;;")       # missing stays empty
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", sep=";", decimal=",")
    assert back["coverage_pct"].iloc[0] == 45.5 and back["households"].iloc[0] == 1200
    df = pd.DataFrame({"d": pd.to_datetime(["2025-07-01"]), "x": [1234567.25]})
    assert exports.to_csv_bytes(df).decode("utf-8-sig").split("\r\n")[1] == "01/07/2025;1234567,25"
    assert exports.to_csv_bytes(df, "plain").decode("utf-8-sig").split("\r\n")[1] == \
        "2025-07-01,1234567.25"


def test_xlsx_top_lines_carry_as_of_filters_and_source():
    meta = exports.sheet_meta(dt.date(2026, 11, 30), "Tỉnh Cao Bằng; giai đoạn của xã: Thí điểm",
                              "Bảng điều khiển Dân vận · truy vấn có tên «coverage_by_unit»",
                              generated=dt.datetime(2026, 12, 1, 9, 5))
    data = exports.to_xlsx_bytes(pd.DataFrame({"a": [1, 2]}), title="Độ phủ theo xã", meta=meta)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    col = [ws.cell(r, 1).value for r in range(1, 9)]
    assert col == ["Độ phủ theo xã", "Số liệu tính đến: 30/11/2026",
                   "Bộ lọc: Tỉnh Cao Bằng; giai đoạn của xã: Thí điểm",
                   "Nguồn: Bảng điều khiển Dân vận · truy vấn có tên «coverage_by_unit»",
                   "Tạo lúc: 01/12/2026 09:05", None, "a", 1]
    assert ws.freeze_panes == "A8"
    # no filter is said in words, not left blank
    assert ("Bộ lọc", "không lọc (toàn bộ dữ liệu)") in exports.sheet_meta(dt.date(2026, 1, 1))


def test_one_function_names_every_download():
    d = dt.date(2026, 11, 30)
    assert exports.file_name("Độ phủ theo xã", "xlsx", d) == "do-phu-theo-xa_2026-11-30.xlsx"
    assert exports.file_name("Tổ và thành viên theo tháng", ".png", d) == \
        "to-va-thanh-vien-theo-thang_2026-11-30.png"
    assert exports.file_name("///", "csv") == "du-lieu.csv"
    from dashboard.output import pack
    assert pack.file_name(d, "pdf") == "hoi-nghi-danh-gia_2026-11-30.pdf"


def test_file_stem():
    assert exports.file_stem("Độ phủ hộ gia đình / xã") == "Do_phu_ho_gia_dinh_xa"
    assert exports.file_stem("///") == "du_lieu"
