"""The precomputed analytics tables give exactly the figures of the reference macros
(DESIGN.md section 4) on any date: every named query that reads them is compared with its
reference version (the query over the _macros.sql macros) on random dates — equal to an established_on or ended_on,
the day before and after, month ends, mid-month, before the first cell, far ahead — and random
commune filters, on the demo and on a generated national-like database, and after writes
(import, undo, writes made outside a transaction)."""
from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

import pandas as pd
import pytest

from dashboard import ingest, store
from dashboard.store import analytics, history, queries

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

REWRITTEN = queries.rewritten()


def test_reference_form_reads_the_macros():
    sql = queries.reference_sql("kpi_overview")
    assert "an_commune_coverage(" not in sql and "commune_coverage($as_of)" in sql
    assert queries.reference_sql("models_list") is None     # reads no analytics table


def test_every_rewritten_query_keeps_its_contract():
    assert {"kpi_overview", "coverage_by_unit", "pilot_vs_rollout", "cells_over_time"} <= \
        set(REWRITTEN)
    for name in REWRITTEN:
        new = queries.get(name)
        ref = queries._parse_text(name, queries.reference_sql(name))
        assert queries.uses_analytics(new), name
        assert not queries.uses_analytics(ref), name
        assert (new.name, new.params, new.columns) == (ref.name, ref.params, ref.columns), name
        assert set(new.params) == set(ref.params), name


def _dates(db, rng: random.Random, n: int) -> list[dt.date]:
    days = db.df("SELECT established_on AS d FROM cells UNION SELECT ended_on FROM cells "
                 "WHERE ended_on IS NOT NULL").d.dropna()
    days = [pd.Timestamp(d).date() for d in days]
    picks = set(rng.sample(days, min(n, len(days))))
    for d in list(picks)[: n // 2]:
        picks |= {d - dt.timedelta(days=1), d + dt.timedelta(days=1)}
    first = min(days)
    picks |= {first - dt.timedelta(days=1), first, dt.date(2099, 1, 1)}
    for y, m in [(first.year, first.month), (2024, 2), (2024, 12), (2025, 6)]:
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        picks |= {nxt - dt.timedelta(days=1), dt.date(y, m, 15)}
    return sorted(picks)


def _filters(db, rng: random.Random) -> list:
    codes = list(db.df("SELECT unit_code FROM units WHERE level = 'commune'").unit_code)
    return [None, rng.sample(codes, min(3, len(codes))),
            rng.sample(codes, min(len(codes) // 3 + 1, len(codes))), ["__none__"]]


def _params(name: str, d: dt.date, communes, commune: str, indicator: str) -> list[dict]:
    q = queries.get(name)
    base = {"as_of": d}
    if "communes" in q.params:
        base["communes"] = communes
    if "commune" in q.params:
        base["commune"] = commune
    if "indicator" in q.params:
        base["indicator"] = indicator
    if "overload" in q.params:
        base["overload"] = 40
    if "level" in q.params:
        return [{**base, "level": "commune"}, {**base, "level": "village"}]
    return [base]


def assert_same(db, name: str, params: dict) -> None:
    got = queries.run(db, name, params)
    want = queries.run(db, name, params, reference=True)
    assert list(got.columns) == list(queries.get(name).columns), name
    pd.testing.assert_frame_equal(got, want, check_dtype=True, obj=f"{name} {params}")


def compare_all(db, seed: int, n_dates: int = 12) -> int:
    rng = random.Random(seed)
    dates = _dates(db, rng, n_dates)
    filters = _filters(db, rng)
    communes = list(db.df("SELECT DISTINCT c.unit_code FROM units c JOIN units v "
                          "ON v.parent_code = c.unit_code WHERE c.level = 'commune'").unit_code)
    indicator = db.scalar("SELECT min(indicator) FROM indicators") or "x"
    checked = 0
    for name in REWRITTEN:
        for d in dates:
            f = rng.choice(filters)
            commune = rng.choice(communes) if communes else "x"
            for p in _params(name, d, f, commune, indicator):
                assert_same(db, name, p)
                checked += 1
    return checked


def test_demo_equals_reference(demo_copy):
    db = store.Database(demo_copy)
    try:
        assert compare_all(db, seed=1) > 100
    finally:
        db.close()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A small national-like database through the real import (every official commune,
    villages, direct commune cells, ended cells, pilots)."""
    import national

    folder = tmp_path_factory.mktemp("gen")
    files = national.write_files(folder, scale=0.004, seed=3)
    db = store.Database(folder / "gen.duckdb")
    for ds in ("units", "cells", "models"):
        r = ingest.import_file(db, ds, files[ds])
        assert r.committed, r.summary_text()[:2000]
    yield db
    db.close()


def test_generated_equals_reference(generated):
    assert generated.scalar("SELECT count(*) FROM cells WHERE ended_on IS NOT NULL") > 0
    assert compare_all(generated, seed=2, n_dates=8) > 100


def test_import_and_undo_keep_tables_exact(demo_copy):
    db = store.Database(demo_copy)
    try:
        cells = pd.read_csv(ROOT / "dashboard/demo/files/cells.csv", dtype=str,
                            keep_default_na=False).head(40)
        cells.iloc[:, 0] = [f"NEW{i}" for i in range(len(cells))]
        r = ingest.import_bytes(db, "cells", cells.to_csv(index=False).encode(), "c.csv")
        assert r.committed and r.new == 40
        fp = analytics.fingerprint(db.cursor())
        assert analytics.stored_fingerprint(db.cursor()) == fp     # rebuilt in the commit
        compare_all(db, seed=4, n_dates=4)
        history.rollback(db, r.batch_id)
        assert analytics.stored_fingerprint(db.cursor()) != fp
        compare_all(db, seed=5, n_dates=4)
    finally:
        db.close()


def test_write_outside_transaction_is_seen(demo_copy):
    db = store.Database(demo_copy)
    try:
        before = queries.run(db, "kpi_overview", as_of=dt.date(2099, 1, 1)).cells[0]
        cur = db.cursor()
        cur.execute("DELETE FROM cells WHERE cell_id IN (SELECT cell_id FROM cells LIMIT 5)")
        cur.close()
        after = queries.run(db, "kpi_overview", as_of=dt.date(2099, 1, 1)).cells[0]
        assert after <= before - 1       # ended cells may be among the five deleted
        assert_same(db, "kpi_overview", {"as_of": dt.date(2099, 1, 1)})
    finally:
        db.close()


def test_stale_tables_on_read_only_database_fall_back_to_reference(demo_copy):
    db = store.Database(demo_copy)
    cur = db.cursor()
    cur.execute("DELETE FROM an_commune_state")    # stale on purpose, fingerprint kept
    cur.execute("UPDATE app_meta SET value = 'stale' WHERE key = ?", [analytics.META_KEY])
    cur.close()
    db.close()
    ro = store.Database(demo_copy, read_only=True)
    try:
        assert not analytics.ready(ro)
        got = queries.run(ro, "kpi_overview", as_of=dt.date(2025, 6, 30))
        want = queries.run(ro, "kpi_overview", as_of=dt.date(2025, 6, 30), reference=True)
        pd.testing.assert_frame_equal(got, want)
        assert got.households_covered[0] > 0
    finally:
        ro.close()


def test_wrong_rule_is_caught(demo_copy):
    """A deliberately wrong interval rule (a cell still active on its ended_on) differs from
    the reference on a date equal to an ended_on."""
    db = store.Database(demo_copy)
    try:
        d = pd.Timestamp(db.scalar("SELECT min(ended_on) FROM cells")).date()
        cur = db.cursor()
        cur.execute("UPDATE an_unit_state SET valid_to = valid_to + 1 "
                    "WHERE valid_to < DATE '9999-01-01'")
        cur.execute("UPDATE an_commune_state SET valid_to = valid_to + 1 "
                    "WHERE valid_to < DATE '9999-01-01'")
        cur.close()
        db._analytics_signature = analytics._signature(db.cursor())   # trust the tables
        with pytest.raises(AssertionError):
            assert_same(db, "kpi_overview", {"as_of": d})
    finally:
        db.close()
