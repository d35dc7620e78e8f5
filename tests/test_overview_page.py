"""Overview page through Streamlit's AppTest (no browser)."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "web" / "app.py")


@pytest.fixture
def at(demo_copy, monkeypatch):
    # a private copy: the app process holds its database file open read-write, and the
    # CLI tests need the shared demo file unlocked
    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    return AppTest.from_file(APP, default_timeout=120)


def test_overview_kpis_match_the_named_query(at, demo_copy):
    from dashboard import store
    from dashboard.store import queries

    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    k = queries.run(store.open_db(str(demo_copy)), "kpi_overview").iloc[0]
    assert metrics["Tổ đang hoạt động"] == f"{int(k.cells):,}".replace(",", ".")
    assert metrics["Độ phủ hộ gia đình"].endswith("%")
    assert any("Dữ liệu mẫu" in w.value for w in at.warning)


def test_overview_with_url_filters(at):
    at.query_params["as_of"] = "2023-12-31"
    at.query_params["phase"] = "pilot"
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Xã có tổ"] == "2 / 2"


def test_commune_table_links_to_the_profile(at):
    at.run()
    frames = [d.value for d in at.dataframe]
    linked = [f for f in frames if "Hồ sơ xã" in f.columns]
    assert linked, "the commune table has a profile link column"
    urls = list(linked[0]["Hồ sơ xã"])
    codes = list(linked[0]["Mã"])
    assert urls[0] == f"ho-so-xa?commune={codes[0]}"


def test_users_get_a_short_message_not_a_traceback(tmp_path, monkeypatch):
    broken = tmp_path / "not_a_database"
    broken.mkdir()                                   # a folder where the database should be
    monkeypatch.setenv("DASHBOARD_DB", str(broken))
    monkeypatch.setenv("DASHBOARD_DEBUG", "0")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert any("Đã xảy ra lỗi" in e.value and "mã lỗi" in e.value for e in at.error)
    log = (tmp_path / "logs" / "errors.log").read_text(encoding="utf-8")
    assert "Traceback" in log


def test_large_tables_are_capped_on_screen_but_not_in_downloads():
    def script():
        import pandas as pd

        from dashboard.web import ui

        df = pd.DataFrame({"unit_code": [f"v{i}" for i in range(120)], "households": range(120)})
        ui.table(df, key="big", title="Bảng lớn", max_rows=50)

    at = AppTest.from_function(script, default_timeout=60)
    at.run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 50
    assert any("120 dòng" in c.value and "50" in c.value for c in at.caption)


def test_wide_tables_stay_under_the_styler_cell_limit():
    def script():
        import pandas as pd

        from dashboard.web import ui

        n = 30_000
        df = pd.DataFrame({f"c{i}": range(n) for i in range(16)})
        ui.table(df, key="wide", title="Bảng rộng")

    at = AppTest.from_function(script, default_timeout=120)
    at.run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert len(shown) * (len(shown.columns) + 1) <= 250_000
    assert any("30.000 dòng" in c.value for c in at.caption)
