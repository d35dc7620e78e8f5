"""DuckDB's common errors in Vietnamese (dashboard/i18n/duckdb_errors.py), from real DuckDB
errors, and through the SQL explorer's messages."""
import duckdb
import pytest

from dashboard.i18n.duckdb_errors import UNKNOWN_LEAD, translate


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute("CREATE TABLE units(unit_code VARCHAR, unit_name VARCHAR, households INT)")
    yield c
    c.close()


def error_of(con, sql: str) -> str:
    with pytest.raises(duckdb.Error) as info:
        con.execute(sql).fetchall()
    return str(info.value)


@pytest.mark.parametrize("sql,expected", [
    ("SELECT * FROM unit", ['bảng unit không tồn tại.',
                            'Có phải ý bạn là "units"?', "Dòng 1: SELECT * FROM unit"]),
    ("SELECT unit_nam FROM units", ['không có cột "unit_nam" trong các bảng ở FROM.',
                                    'Các cột gần giống: "unit_name"']),
    ("SELEC 1", ['lỗi cú pháp ở gần "SELEC".']),
    ("SELECT foo(1)", ["hàm foo không tồn tại."]),
    ("SELECT unit_code, count(*) FROM units",
     ['cột "unit_code" phải có trong GROUP BY hoặc nằm trong một hàm gộp',
      "Hãy thêm cột vào GROUP BY, hoặc dùng ANY_VALUE"]),
    ("SELECT 'a'::INT", ["không chuyển được chuỗi 'a' sang kiểu INT32."]),
    ("SELECT DATE '2024-02-30'", ["ngày không hợp lệ: \"2024-02-30\""]),
    ("SELECT unit_code FROM units, units v", ['tên cột "unit_code" có ở nhiều bảng']),
    ("SELECT * FROM units ORDER BY 5", ["số thứ tự cột trong ORDER BY phải từ 1 đến 3."]),
    ("SELECT sum(unit_name) FROM units", ["không có hàm nào nhận các kiểu tham số"]),
    ("SELECT 2147483647::INT + 1", ["tràn số khi tính 2147483647 + 1 với kiểu INT32"]),
])
def test_common_errors_read_in_vietnamese(con, sql, expected):
    text = translate(error_of(con, sql))
    for part in expected:
        assert part in text, text
    for english in ("does not exist", "not found", "syntax error", "must appear",
                    "Could not convert", "Did you mean", "Candidate", "LINE 1"):
        assert english not in text, text
    assert not text.startswith(UNKNOWN_LEAD)


def test_the_caret_stays_under_the_sql(con):
    text = translate(error_of(con, "SELECT * FROM unit"))
    lines = text.splitlines()
    sql_line = next(i for i, ln in enumerate(lines) if ln.startswith("Dòng 1: "))
    assert lines[sql_line + 1].index("^") == lines[sql_line].index("unit", 15)


def test_an_unknown_message_is_kept_after_a_vietnamese_lead():
    assert translate("Binder Error: Something new happened") == \
        UNKNOWN_LEAD + "Something new happened"


def test_the_explorer_reports_in_vietnamese(tmp_path):
    from dashboard import store
    from dashboard.sandbox import explorer

    db = store.Database(tmp_path / "t.duckdb")
    db.close()
    ex = explorer.Sandbox(tmp_path / "t.duckdb")
    with pytest.raises(explorer.SandboxError) as info:
        ex.run("SELECT * FROM unitz")
    assert "bảng unitz không tồn tại" in str(info.value)
    assert "does not exist" not in str(info.value)
