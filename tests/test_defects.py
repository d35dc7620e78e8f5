"""Small defects that break the promise of trustworthy figures: missing values, downloads,
out-of-range links, the error log, rounding of figures and words, references to files the
product does not ship."""
import datetime as dt
import io
import logging
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_page

from dashboard import config
from dashboard.i18n import fmt, numwords
from dashboard.output import exports
from dashboard.web import urlstate

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("value", [None, float("nan"), pd.NA, pd.NaT])
def test_every_formatter_shows_a_dash_for_missing(value):
    for f in (fmt.number, fmt.fixed, fmt.percent, fmt.date, fmt.month):
        assert f(value) == "—", f.__name__
    assert numwords.words(value) == "không có số liệu"


def test_one_rounding_for_figures_and_words():
    # half-even would show 53,8 % while the words said "phẩy chín"
    for value, shown, said in [(53.85, "53,9%", "năm mươi ba phẩy chín"),
                               (0.05, "0,1%", "không phẩy một"),
                               (12.25, "12,3%", "mười hai phẩy ba"),
                               (99.95, "100,0%", "một trăm"),
                               (2.5, "2,5%", "hai phẩy năm")]:
        assert fmt.percent(value) == shown
        assert numwords.percent_words(value) == f"{said} phần trăm"
    assert fmt.number(2.5) == "3" and numwords.words(2.5, 0) == "ba"
    assert fmt.number(1234.45, 1) == "1.234,5" and fmt.fixed(0.125, 2) == "0,13"
    assert fmt.round_half_up(-2.5) == Decimal("-3")


def test_downloads_write_missing_values_as_empty_cells():
    from openpyxl import load_workbook

    df = pd.DataFrame({
        "households_reached": pd.array([320, None], dtype="Int64"),
        "ended_on": pd.Series([dt.date(2024, 1, 31), pd.NaT], dtype=object),
        "started_on": pd.to_datetime(["2024-01-01", None]),
        "latitude": pd.array([21.18, None], dtype="Float64"),
        "mixed": pd.Series([pd.NA, 3], dtype=object),
        "owner": ["Công an xã", None]})
    text = exports.to_csv_bytes(df, "plain").decode("utf-8-sig")
    assert "NaT" not in text and "<NA>" not in text and "nan" not in text.lower()
    assert text.splitlines()[1:] == ["320,2024-01-31,2024-01-01,21.18,,Công an xã", ",,,,3,"]
    text = exports.to_csv_bytes(df).decode("utf-8-sig")     # the Vietnamese Excel default
    assert "NaT" not in text and "<NA>" not in text and "nan" not in text.lower()
    assert text.splitlines()[1:] == ["320;31/01/2024;01/01/2024;21,18;;Công an xã", ";;;;3,0;"]
    ws = load_workbook(io.BytesIO(exports.to_xlsx_bytes(df))).active
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert rows[1] == [None, None, None, None, 3, None]
    assert rows[0][0] == 320 and rows[0][1] == dt.datetime(2024, 1, 31)


def test_models_registry_download_has_no_missing_markers(demo_db):
    from dashboard import store
    from dashboard.analysis import models_registry as mr
    from dashboard.store import queries

    db = store.Database(demo_db, read_only=True)
    df = queries.run(db, "models_list", {})
    db.close()
    table = mr.registry_table(df) if hasattr(mr, "registry_table") else df
    text = exports.to_csv_bytes(table).decode("utf-8-sig")
    assert "NaT" not in text and "<NA>" not in text


def test_out_of_range_dates_are_clamped_with_a_note():
    lo, hi = urlstate.date_bounds(pd.Timestamp("2019-01-01"), pd.Timestamp("2026-10-31"),
                                  today=dt.date(2026, 12, 1))
    assert (lo, hi) == (dt.date(2019, 1, 1), dt.date(2026, 12, 1))
    today = dt.date(2026, 12, 1)
    assert urlstate.clamp_date("2019-01-01", lo, hi, today) == (lo, None)       # on the edge
    assert urlstate.clamp_date("2026-12-01", lo, hi, today) == (hi, None)
    d, note = urlstate.clamp_date("2018-12-31", lo, hi, today)
    assert d == lo and "31/12/2018" in note and "ngoài khoảng" in note
    d, note = urlstate.clamp_date("9999-12-31", lo, hi, today)
    assert d == hi and "01/12/2026" in note
    d, note = urlstate.clamp_date("hôm qua", lo, hi, today)
    assert d == today and "không hợp lệ" in note
    assert urlstate.date_bounds(None, None, today) == (dt.date(2000, 1, 1), today)


@pytest.mark.parametrize("as_of", ["1999-12-31", "9999-12-31"])
def test_pages_open_with_an_out_of_range_date(demo_copy, monkeypatch, as_of):
    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    for page in ("../pages/overview.py", "../pages/coverage.py"):
        at = run_page(page, as_of=as_of)
        assert not at.exception and not at.error
        notes = [i.value for i in at.sidebar.info]
        assert any("ngoài khoảng ngày của dữ liệu" in n for n in notes), notes
    assert not (demo_copy.parent / config.get("log_dir_name") / "errors.log").exists()


@pytest.mark.parametrize("model", ["MH0001", "MH0002"])
def test_model_card_opens_with_empty_and_filled_optional_fields(demo_copy, monkeypatch, model):
    from dashboard import store

    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    db = store.Database(demo_copy)
    row = db.df("SELECT * FROM models WHERE model_id = ?", [model]).iloc[0]
    db.close()
    if model == "MH0001":   # the registry's first model: optional fields empty
        assert pd.isna(row.households_reached) and pd.isna(row.latitude)
    else:
        assert not pd.isna(row.households_reached) and not pd.isna(row.latitude)
    at = run_page("../pages/models.py", tab="Thẻ mô hình", model=model)
    assert not at.exception
    shown = " ".join(str(t.value) for t in at.table) + " ".join(m.value for m in at.markdown)
    assert row.model_name in " ".join(m.value for m in at.markdown) + \
        " ".join(s.value for s in at.subheader)
    if model == "MH0001":
        assert "—" in shown or "–" in shown


def test_error_log_is_rotated_and_capped(tmp_path, monkeypatch):
    from dashboard.web import ui

    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "x.duckdb"))
    monkeypatch.setattr(config, "get", lambda name, _real=config.get: {
        "error_log_max_bytes": 2000, "error_log_backups": 2}.get(name, _real(name)))
    monkeypatch.setattr(ui, "_ERROR_LOG", {})
    monkeypatch.setattr(ui.st, "error", lambda *a, **k: None)
    for i in range(60):
        try:
            raise ValueError(f"lỗi thử {i} " + "x" * 200)
        except ValueError as exc:
            ui.report_error(exc)
    folder = tmp_path / config.get("log_dir_name")
    logs = sorted(p.name for p in folder.iterdir())
    assert logs == ["errors.log", "errors.log.1", "errors.log.2"]
    assert all((folder / n).stat().st_size <= 2000 + 1000 for n in logs)
    assert "lỗi thử 59" in (folder / "errors.log").read_text(encoding="utf-8")
    for log in ui._ERROR_LOG.values():
        for h in log.handlers:
            h.close()
    logging.getLogger("dashboard").handlers.clear()


def test_product_never_mentions_the_design_notes():
    hits = [str(p.relative_to(ROOT)) for p in (ROOT / "dashboard").rglob("*")
            if p.is_file() and p.suffix in (".py", ".sql", ".md", ".toml", ".csv")
            and "DESIGN.md" in p.read_text(encoding="utf-8", errors="ignore")]
    assert hits == []
    docs = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    assert "## Cách tính chỉ số" in docs and "DESIGN.md" not in docs


SPARSE_UNITS = ("Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ\n24,Tỉnh Bắc Ninh,Tỉnh,,\n"
                "07210,Phường Bắc Giang,Phường,24,\n07210-01,Tổ dân phố 1,Thôn,07210,0\n"
                "07228,Xã Trống,Xã,24,\n")
SPARSE = {
    "cells": "Mã tổ,Tên tổ,Mã thôn/xã,Giai đoạn,Ngày thành lập,Số thành viên,Số hộ phụ trách\n"
             "T1,Tổ 1,07210-01,Thí điểm,01/03/2024,5,0\n",
    "models": "Mã mô hình,Tên mô hình,Lĩnh vực,Cấp,Mã đơn vị,Ngày bắt đầu\n"
              "M1,Mô hình trống,Kinh tế,Xã,07228,01/01/2024\n",
}


@pytest.fixture(scope="module")
def sparse_db(tmp_path_factory):
    """Every optional field empty: communes without households, a village of 0 households,
    a cell without type, end or tasks, a model with only its required values."""
    from dashboard import ingest, store

    path = tmp_path_factory.mktemp("sparse") / "sparse.duckdb"
    db = store.Database(path)
    for name, text in (("units", SPARSE_UNITS), *SPARSE.items()):
        r = ingest.import_bytes(db, name, text.encode(), f"{name}.csv")
        assert r.committed, r.summary_text()
    db.close()
    return path


@pytest.mark.parametrize("page,params", [
    ("../pages/overview.py", {}), ("../pages/coverage.py", {}),
    ("../pages/evaluation.py", {}), ("../pages/map.py", {}),
    ("../pages/models.py", {"tab": "Thẻ mô hình", "model": "M1"}),
    ("../pages/commune.py", {"unit": "07228"}), ("../pages/commune.py", {"unit": "07210"}),
    ("../pages/present.py", {}), ("../pages/data.py", {}),
])
def test_pages_open_when_every_optional_field_is_empty(sparse_db, monkeypatch, page, params):
    monkeypatch.setenv("DASHBOARD_DB", str(sparse_db))
    at = run_page(page, **params)
    assert not at.exception
