"""National-scale benchmark, in one run: imports, named queries, pages, concurrent sessions.

    python benchmarks/bench_national.py [--scale 1.0] [--repeat 5] [--sessions 20]
                                        [--big-file] [--out benchmarks/RESULTS-national.md]

1. Builds the national data set (benchmarks/national.py: 3,321 communes, ~100k villages,
   ~250k cells, ~60k models, ~1.2M indicator rows at scale 1) and imports each file through
   the real import (`python -m dashboard import`, one process per file): wall time, CPU time
   and peak memory (ru_maxrss of the child). --big-file adds a ~150 MB indicators file
   (--big-mb) of older months, imported into a copy of the database: the pages that read the
   whole history (Thí điểm, Trình chiếu, Dữ liệu) are also timed on that copy, while every
   other figure is of the national data set as stated.
2. Every contract query and the hot pages' queries, cold (first run in a fresh process)
   and warm (median of --repeat), next to a straightforward pandas implementation of the same
   question over the raw tables (results checked equal; ratio printed) and DuckDB's bare scan
   of the largest table the query reads.
3. Every page's server time in AppTest (script run, median of --repeat): first load (server
   caches cleared), rerun, date change, and its typical interactions, each the first time
   (a cache miss) and again (warm). `--pages-only DB [--only evaluation,models]` runs this
   part alone on an existing database.
4. Server memory (RSS) with --sessions concurrent browser sessions (Playwright +
   /usr/bin/chromium against a real server).

The machine is shared: read the ratios and medians. CPU seconds are printed next to wall
seconds for the imports (CPU time barely moves with other processes' load).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

import national  # noqa: E402

from dashboard import store  # noqa: E402
from dashboard.store import queries  # noqa: E402

AS_OF = dt.date(2025, 6, 17)        # mid-month, not a month end
# the pages the concurrent sessions open in turn (every page that shows figures)
SESSION_PAGES = ("overview.py", "map.py", "coverage.py", "evaluation.py", "models.py",
                 "commune.py", "present.py", "reporting.py")
OTHER_DATE = dt.date(2024, 11, 30)


# --- 1. imports -------------------------------------------------------------------------------

IMPORT_CHILD = r"""
import json, sys, time
from dashboard import ingest, store
db = store.Database(sys.argv[1])
t, c = time.perf_counter(), time.process_time()
r = ingest.import_file(db, sys.argv[2], sys.argv[3])
wall, cpu = time.perf_counter() - t, time.process_time() - c
db.close()
# VmHWM: this process's own peak (ru_maxrss would count the parent's memory at fork)
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"committed": r.committed, "rows": r.rows_total, "new": r.new,
                  "updated": r.updated, "unchanged": r.unchanged, "wall": wall, "cpu": cpu,
                  "rss_mb": hwm / 1024,
                  "errors": r.summary_text()[:1500] if not r.committed else ""}))
"""


def run_import(db_path: Path, dataset: str, file: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", IMPORT_CHILD, str(db_path), dataset, str(file)],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if not res["committed"]:
        raise RuntimeError(res["errors"])
    res["mb"] = file.stat().st_size / 1e6
    return res


def big_indicators(folder: Path, files: dict, target_mb: float = 150) -> Path:
    """An indicators file of ~150 MB: the national file's rows repeated over more periods."""
    base = pd.read_csv(files["indicators"], dtype=str, keep_default_na=False)
    parts, size, k = [], 0.0, 0
    per = files["indicators"].stat().st_size / 1e6
    while size < target_mb:
        part = base.copy()
        year = part["period"].str[:4].astype(int) - 3 * (k + 1)
        part["period"] = year.astype(str) + part["period"].str[4:]
        parts.append(part)
        size += per
        k += 1
    path = folder / "indicators_big.csv"
    pd.concat(parts, ignore_index=True).to_csv(path, index=False)
    return path


# --- 2. named queries next to pandas ----------------------------------------------------------

class Raw:
    """The raw tables as pandas frames, and the section-4 definitions written in pandas."""

    def __init__(self, db):
        self.units = db.df("SELECT * FROM units")
        self.cells = db.df("SELECT * FROM cells")
        self.models = db.df("SELECT * FROM models")
        u = self.units.set_index("unit_code")
        self.cells["unit_level"] = self.cells.unit_code.map(u.level)
        self.cells["commune_code"] = np.where(self.cells.unit_level == "village",
                                              self.cells.unit_code.map(u.parent_code),
                                              self.cells.unit_code)
        self.cells = self.cells[self.cells.unit_level.notna()]

    def active(self, d):
        c = self.cells
        d = pd.Timestamp(d)
        return c[(c.established_on <= d) & (c.ended_on.isna() | (c.ended_on > d))]

    def village(self, d):
        a = self.active(d)
        a = a[a.unit_level == "village"].groupby("unit_code").agg(
            cells=("cell_id", "size"), members=("members", "sum"),
            raw=("households_covered", "sum"))
        v = self.units[self.units.level == "village"][["unit_code", "unit_name", "parent_code",
                                                       "households"]].copy()
        v["households"] = v.households.fillna(0).astype("int64")
        v = v.merge(a, left_on="unit_code", right_index=True, how="left")
        for c in ("cells", "members", "raw"):
            v[c] = v[c].fillna(0).astype("int64")
        v["covered"] = np.minimum(v.raw, v.households)
        return v

    def commune(self, d):
        v = self.village(d)
        g = v.groupby("parent_code").agg(villages=("unit_code", "size"),
                                         households=("households", "sum"),
                                         cells=("cells", "sum"), members=("members", "sum"),
                                         raw=("raw", "sum"), covered=("covered", "sum"),
                                         vwc=("cells", lambda s: int((s > 0).sum())))
        a = self.active(d)
        direct = a[a.unit_level == "commune"].groupby("unit_code").agg(
            dcells=("cell_id", "size"), dmembers=("members", "sum"),
            draw=("households_covered", "sum"))
        c = self.units[self.units.level == "commune"][["unit_code", "unit_name", "parent_code",
                                                       "households"]].copy()
        c = c.rename(columns={"households": "own"}).merge(
            g, left_on="unit_code", right_index=True, how="left").merge(
            direct, left_on="unit_code", right_index=True, how="left")
        c = c.fillna({k: 0 for k in ("villages", "households", "cells", "members", "raw",
                                     "covered", "vwc", "dcells", "dmembers", "draw", "own")})
        c["households"] = np.where(c.villages > 0, c.households, c.own).astype("int64")
        c["cells"] = (c.cells + c.dcells).astype("int64")
        c["members"] = (c.members + c.dmembers).astype("int64")
        c["raw"] = (c.raw + c.draw).astype("int64")
        c["covered"] = np.minimum(c.covered + c.draw, c.households).astype("int64")
        c["villages"] = c.villages.astype("int64")
        c["vwc"] = c.vwc.astype("int64")
        return c

    def phase(self, d):
        c = self.cells[self.cells.established_on <= pd.Timestamp(d)]
        g = c.groupby("commune_code").phase.agg(lambda s: "pilot" if (s == "pilot").any()
                                                else "rollout")
        codes = self.units[self.units.level == "commune"].unit_code
        return pd.Series(codes.map(g).fillna("none").to_numpy(), index=codes.to_numpy())


def _pct(covered, households):
    covered, households = np.asarray(covered, float), np.asarray(households, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(households == 0, 0.0, np.round(100.0 * covered / households, 2))


def pandas_answer(raw: Raw, name: str, params: dict) -> pd.DataFrame:
    d = params["as_of"]
    if name == "kpi_overview":
        c = raw.commune(d)
        m = raw.models
        active = (m.started_on <= pd.Timestamp(d)) & (m.ended_on.isna() |
                                                      (m.ended_on > pd.Timestamp(d)))
        return pd.DataFrame([{
            "communes": len(c), "communes_with_cells": int((c.cells > 0).sum()),
            "villages": int(c.villages.sum()), "villages_with_cells": int(c.vwc.sum()),
            "cells": int(c.cells.sum()), "members": int(c.members.sum()),
            "households": int(c.households.sum()), "households_covered": int(c.covered.sum()),
            "coverage_pct": float(_pct(c.covered.sum(), c.households.sum())),
            "models": len(m), "active_models": int(active.sum())}])
    if name == "coverage_by_unit":
        t = raw.commune(d) if params["level"] == "commune" else raw.village(d)
        t = t.sort_values("unit_code")
        with np.errstate(invalid="ignore", divide="ignore"):
            return pd.DataFrame({
                "unit_code": t.unit_code, "households": t.households, "cells": t.cells,
                "members": t.members, "households_covered": t.covered,
                "coverage_pct": _pct(t.covered, t.households),
                "uncovered_households": t.households - t.covered,
                "households_per_cell": np.where(t.cells == 0, np.nan,
                                                np.round(t.raw / t.cells, 2)),
                "households_per_member": np.where(t.members == 0, np.nan,
                                                  np.round(t.raw / t.members, 2))})
    if name == "pilot_vs_rollout":
        c = raw.commune(d)
        c["phase"] = c.unit_code.map(raw.phase(d))
        g = c.groupby("phase").agg(communes=("unit_code", "size"), cells=("cells", "sum"),
                                   members=("members", "sum"),
                                   households=("households", "sum"),
                                   households_covered=("covered", "sum"))
        g = g.reindex([p for p in ("pilot", "rollout", "none") if p in g.index])
        g["coverage_pct"] = _pct(g.households_covered, g.households)
        return g.reset_index()[["phase", "communes", "cells", "members", "households",
                                "households_covered", "coverage_pct"]]
    if name == "cells_over_time":
        c = raw.cells
        first = c.established_on.min()
        months = pd.period_range(first, pd.Timestamp(d), freq="M")
        rows = []
        for m in months:
            cut = min(m.end_time.normalize(), pd.Timestamp(d))
            a = c[(c.established_on <= cut) & (c.ended_on.isna() | (c.ended_on > cut))]
            for ph, g in a.groupby("phase"):
                rows.append((cut.strftime("%Y-%m"), ph, len(g), int(g.members.sum())))
        return pd.DataFrame(rows, columns=["month", "phase", "cells", "members"])
    if name == "filter_communes":
        p = raw.phase(d)
        return pd.DataFrame({"unit_code": p.index, "phase": p.to_numpy()}).sort_values(
            "unit_code").reset_index(drop=True)
    raise KeyError(name)


QUERIES = [
    ("kpi_overview", {}), ("coverage_by_unit", {"level": "commune"}),
    ("coverage_by_unit", {"level": "village"}), ("pilot_vs_rollout", {}),
    ("cells_over_time", {}), ("filter_communes", {}),
    ("models_by_field", {}), ("map_units", {"level": "commune"}),
    ("map_units", {"level": "village"}), ("coverage_cells", {}), ("profile_communes", {}),
    ("models_list", {}), ("models_gaps", {}), ("eval_coverage_history", {}),
]
PANDAS = {"kpi_overview", "coverage_by_unit", "pilot_vs_rollout", "cells_over_time",
          "filter_communes"}
TABLES = ("an_unit_state", "an_commune_state", "an_communes", "an_phase_events", "cells",
          "units", "models", "indicators", "ref_communes", "boundaries")


def _tables_read(db, sql: str) -> list[str]:
    import re

    names = set(re.findall(r"\b(an_[a-z_]+|cells|units|models|indicators|ref_communes|"
                           r"boundaries)\b", sql))
    macros = {"an_village_coverage": ["an_unit_state", "units"],
              "an_commune_coverage": ["an_commune_state", "an_communes", "units"],
              "an_commune_phase": ["an_communes", "units"]}
    out = set()
    for n in names:
        out |= set(macros.get(n, [n]))
    return [t for t in out if t in TABLES]


def bare_scan(db, table: str) -> float:
    col = db.df(f"SELECT * FROM {table} LIMIT 0").columns[0]
    db.scalar(f"SELECT count({col}) FROM {table}")
    t = time.perf_counter()
    db.scalar(f"SELECT count({col}) FROM {table}")
    return time.perf_counter() - t


def compare_frames(name: str, got: pd.DataFrame, want: pd.DataFrame) -> None:
    got = got[list(want.columns)]
    if name == "filter_communes":       # the query orders by name; compare by code
        got = got.sort_values("unit_code")
    got, want = got.reset_index(drop=True), want.reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False, check_exact=False,
                                  atol=0.011, obj=name)


QUERY_CHILD = r"""
import json, sys, time, datetime as dt
from dashboard import store
from dashboard.store import queries
db = store.Database(sys.argv[1], read_only=True)
params = json.loads(sys.argv[3]); params["as_of"] = dt.date.fromisoformat(params["as_of"])
t = time.perf_counter(); queries.run(db, sys.argv[2], params); print(time.perf_counter() - t)
"""


def bench_queries(db_path: Path, repeat: int) -> list[dict]:
    db = store.Database(db_path, read_only=True)
    raw = Raw(db)
    rows = []
    for name, extra in QUERIES:
        params = {"as_of": AS_OF, **extra}
        if name == "models_list":
            params = {"as_of": AS_OF}
        cold = float(subprocess.run(
            [sys.executable, "-c", QUERY_CHILD, str(db_path), name,
             json.dumps({**params, "as_of": AS_OF.isoformat()})], cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
            check=True).stdout.strip().splitlines()[-1])
        warm, got = [], None
        for _ in range(repeat):
            t = time.perf_counter()
            got = queries.run(db, name, params)
            warm.append(time.perf_counter() - t)
        ref = []
        for _ in range(max(1, repeat // 2)):
            t = time.perf_counter()
            queries.run(db, name, params, reference=True)
            ref.append(time.perf_counter() - t)
        row = {"query": name + "".join(f" {k}={v}" for k, v in extra.items()),
               "rows": len(got), "cold": cold, "warm": statistics.median(warm),
               "reference": statistics.median(ref) if queries.reference_sql(name) else None}
        if name in PANDAS:
            tp = []
            for _ in range(max(1, repeat // 2)):
                t = time.perf_counter()
                want = pandas_answer(raw, name, params)
                tp.append(time.perf_counter() - t)
            compare_frames(row["query"], got, want)
            row["pandas"] = statistics.median(tp)
        tables = _tables_read(db, queries.get(name).sql)
        big = max(tables, key=lambda tb: db.table_count(tb)) if tables else None
        row["scan_table"] = big
        row["scan"] = bare_scan(db, big) if big else None
        rows.append(row)
        print(f"query {row['query']:<34} rows {row['rows']:>7}  cold {cold * 1000:7.1f} ms  "
              f"warm {row['warm'] * 1000:7.1f} ms"
              + (f"  macros {row['reference'] * 1000:7.1f} ms" if row["reference"] else "")
              + (f"  pandas {row['pandas'] * 1000:8.1f} ms ({row['pandas'] / row['warm']:.0f}×)"
                 if "pandas" in row else "")
              + (f"  scan {big} {row['scan'] * 1000:.1f} ms" if big else ""), flush=True)
    db.close()
    return rows


# --- 3. pages in AppTest ----------------------------------------------------------------------

def _first_commune(db_path: Path) -> tuple[str, str, str]:
    db = store.Database(db_path, read_only=True)
    try:
        codes = db.df("SELECT commune_code FROM an_communes WHERE first_cell_on IS NOT NULL "
                      "ORDER BY commune_code LIMIT 2").commune_code.tolist()
        model = db.scalar("SELECT min(model_id) FROM models")
        return codes[0], codes[-1], model
    finally:
        db.close()


def _widget(kind: str, key: str):
    """Set a keyed widget to a value and rerun."""
    def set_(at, value):
        getattr(at, kind)(key=key).set_value(value).run()
    return set_


def _param(name: str):
    """Set (or clear, with None) a URL parameter and rerun, as a link or a bound tab does."""
    def set_(at, value):
        if value is None:
            at.query_params.pop(name, None)
        else:
            at.query_params[name] = value
        at.run()
    return set_


def _state(key: str):
    """Set a widget's value through the session state (segmented controls) and rerun."""
    def set_(at, value):
        at.session_state[key] = value
        at.run()
    return set_


def _sql_run(at, value):
    """Type a statement and press «Chạy» (one rerun, as the browser sends both at once)."""
    at.text_area(key="sql_text").input(value)
    at.button(key="sql_run").click().run()


def page_interactions(commune: str, commune2: str, model: str, months: list[str]):
    """Per page: (title, page file, URL params for the first load, interactions).

    An interaction is (label, set(at, value), value before, value after): it is measured
    once going to the new value (results not yet computed: a cache miss unless nothing new
    is needed), then back and to the new value again (results cached: warm)."""
    first_sql = "SELECT count(*) AS so_to FROM cells"
    return [
        ("Tổng quan", "overview.py", {}, [
            ("chọn một xã", _widget("multiselect", "f_communes"), [], [commune])]),
        ("Bản đồ", "map.py", {}, [
            ("xem một xã (drill-down)", _widget("selectbox", "map_xa"), "", commune)]),
        ("Độ phủ hộ gia đình", "coverage.py", {}, [
            ("thẻ thôn, tổ dân phố", _param("muc"), None, "Theo thôn, tổ dân phố"),
            ("thẻ phân bố", _param("muc"), None, "Phân bố"),
            ("thẻ khoảng trống", _param("muc"), None, "Khoảng trống"),
            ("thẻ kế hoạch bổ sung tổ", _param("muc"), None, "Kế hoạch bổ sung tổ")]),
        ("Thí điểm và nhân rộng", "evaluation.py", {}, [
            ("xem từng đợt", _state("ev_view"), "phase", "cohort"),
            ("số tháng k = 6", _widget("selectbox", "ev_window"), 12, 6)]),
        ("Mô hình", "models.py", {"tab": "Thẻ mô hình"}, [
            ("thẻ mô hình", _widget("selectbox", "model"), None, model)]),
        ("Hồ sơ xã", "commune.py", {"commune": commune}, [
            ("chọn xã khác", _widget("selectbox", "profile_commune"), commune, commune2)]),
        ("Trình chiếu", "present.py", {}, [
            ("trang chiếu kế tiếp", _param("slide"), "1", "2"),
            ("trang chiếu bản đồ", _param("slide"), "1", "3"),
            ("trang chiếu đánh giá", _param("slide"), "1", "6")]),
        ("Tình hình báo cáo", "reporting.py", {}, [
            ("chọn tháng trước", _widget("selectbox", "rp_month"), months[0], months[1])]),
        ("Dữ liệu", "data.py", {}, [
            ("thẻ lịch sử nhập", _param("muc"), None, "Lịch sử nhập")]),
        ("Truy vấn SQL", "sql.py", {}, [
            ("chạy một câu lệnh", _sql_run, "SELECT 1 AS mot", first_sql)]),
        ("Hướng dẫn", "guide.py", {}, []),
    ]


def _timed_run(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _months(db_path: Path) -> list[str]:
    """The reporting page's latest month and the one before (two of its choices)."""
    from dashboard.reporting import completeness
    db = store.Database(db_path, read_only=True)
    try:
        latest = completeness.latest_period(db)
        options = completeness.period_options(db)
        return [latest, options[options.index(latest) + 1]]
    finally:
        db.close()


PREPARED: list[float] = []     # seconds of each background preparation of the evaluation


def bench_pages(db_path: Path, repeat: int, only: set | None = None) -> list[dict]:
    """One row per page (first load, rerun, date change) and one per interaction (its first
    time after the date change, then warm)."""
    os.environ["DASHBOARD_DB"] = str(db_path)
    debug = os.environ.get("DASHBOARD_DEBUG")
    os.environ["DASHBOARD_DEBUG"] = "1"     # a page that fails raises: never time an error page
    try:
        return _bench_pages(db_path, repeat, only)
    finally:
        if debug is None:
            os.environ.pop("DASHBOARD_DEBUG", None)
        else:
            os.environ["DASHBOARD_DEBUG"] = debug


def _bench_pages(db_path: Path, repeat: int, only: set | None) -> list[dict]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dashboard.web import evaluation_data

    app = str(ROOT / "dashboard" / "web" / "app.py")
    commune, commune2, model = _first_commune(db_path)
    rows = []
    for title, file, qp, actions in page_interactions(commune, commune2, model,
                                                      _months(db_path)):
        if only and file.removesuffix(".py") not in only:
            continue
        res = {"first": [], "rerun": [], "date": []}
        acts = {label: {"miss": [], "warm": []} for label, *_ in actions}
        for _ in range(repeat):
            st.cache_resource.clear()
            st.cache_data.clear()
            at = AppTest.from_file(app, default_timeout=600)
            for k, v in qp.items():
                at.query_params[k] = v
            at.run()
            # after a data change the server prepares the evaluation's date-free rows in the
            # background (web/evaluation_data.py); pages are timed once that is done, as a
            # user arriving a few seconds later finds them (its own time is reported apart)
            evaluation_data.wait_prepared()
            if evaluation_data.LAST["seconds"] is not None:
                PREPARED.append(evaluation_data.LAST["seconds"])
                evaluation_data.LAST["seconds"] = None
            at.switch_page(f"../pages/{file}")
            for k, v in qp.items():
                at.query_params[k] = v
            res["first"].append(_timed_run(at.run))
            assert not at.exception, at.exception
            res["rerun"].append(_timed_run(at.run))
            res["date"].append(_timed_run(
                lambda at=at: at.date_input(key="f_as_of").set_value(OTHER_DATE).run()))
            for label, set_, before, after in actions:
                go = functools.partial(set_, at, after)
                acts[label]["miss"].append(_timed_run(go))
                set_(at, before)
                acts[label]["warm"].append(_timed_run(go))
                assert not at.exception, (title, label, at.exception)
                set_(at, before)
        row = {"page": title, **{k: statistics.median(v) for k, v in res.items()},
               "actions": [{"label": label, **{k: statistics.median(v)
                                               for k, v in acts[label].items()}}
                           for label, *_ in actions]}
        rows.append(row)
        evaluation_data.wait_prepared()       # none left running behind the next page
        print(f"page {title:<22} first {row['first']:6.2f} s  rerun {row['rerun']:6.2f} s  "
              f"date {row['date']:6.2f} s  " + "  ".join(
                  f"{a['label']}: {a['miss']:.2f} / {a['warm']:.2f} s" for a in row["actions"]),
              flush=True)
    return rows


# --- 4. concurrent browser sessions -----------------------------------------------------------

def _rss_mb(pid: int) -> float:
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(x) for x in f.read().split()]
    except OSError:
        return []
    return kids + [g for k in kids for g in _children(k)]


def bench_sessions(db_path: Path, sessions: int, browser=None) -> dict:
    from conftest import CHROMIUM, CHROMIUM_ARGS, start_app

    def wait_for_app(page, timeout):
        """The script finished (charts below the fold may stay undrawn in a small window)."""
        page.wait_for_selector("[data-testid='stMain'] [data-testid='stElementContainer']",
                               timeout=timeout)
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                               timeout=timeout)
    from playwright.sync_api import sync_playwright

    from dashboard.web import navigation

    try:    # AppTest in this process opened the file for writing: let the server have it
        import streamlit as st

        from dashboard.web import evaluation_data

        evaluation_data.wait_prepared()       # its background reads use the connection
        st.cache_resource.clear()
    except Exception:
        pass
    store.close_db(db_path)
    paths = [u for f, _t, u in navigation.built()
             if f in SESSION_PAGES]
    proc, url = start_app(db_path)
    out = {"sessions": sessions}
    try:
        out["idle_mb"] = _rss_mb(proc.pid)
        with contextlib.ExitStack() as stack:
            own = browser is None
            if own:      # else: a browser of the caller's running Playwright (tests)
                p = stack.enter_context(sync_playwright())
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            pages = []
            t = time.perf_counter()
            for i in range(sessions):
                page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
                page.goto(f"{url}/{paths[i % len(paths)]}")
                wait_for_app(page, timeout=600_000)
                pages.append(page)
                if i == 0:
                    out["one_mb"] = _rss_mb(proc.pid)
            out["load_s"] = time.perf_counter() - t
            out["all_mb"] = _rss_mb(proc.pid)
            # every session changes the date once (new results for every page)
            for page in pages:
                page.goto(page.url.split("?")[0] + f"?as_of={OTHER_DATE.isoformat()}")
                wait_for_app(page, timeout=600_000)
            out["after_date_mb"] = _rss_mb(proc.pid)
            for page in pages:
                page.context.close()
            if own:
                browser.close()
    finally:
        proc.terminate()
        proc.wait(20)
    out["per_session_mb"] = (out["all_mb"] - out["one_mb"]) / max(1, sessions - 1)
    print(f"sessions {sessions}: server idle {out['idle_mb']:.0f} MB, one session "
          f"{out['one_mb']:.0f} MB, {sessions} sessions {out['all_mb']:.0f} MB, after a date "
          f"change in each {out['after_date_mb']:.0f} MB "
          f"({out['per_session_mb']:.1f} MB per extra session)", flush=True)
    return out


# --- results ----------------------------------------------------------------------------------

def machine() -> str:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()
    return (f"{platform.machine()}, {os.cpu_count()} cores ({cpu}), {mem:.0f} GB RAM, "
            f"Python {platform.python_version()}, DuckDB {_version('duckdb')}, "
            f"pandas {pd.__version__}, Streamlit {_version('streamlit')}; load average at "
            f"the end {load[0]:.1f} (other work on the machine)")


def _version(mod: str) -> str:
    try:
        return __import__(mod).__version__
    except Exception:
        return "?"


LONG_HISTORY_PAGES = {"evaluation", "present", "data"}   # the pages that read the whole history


def _indicator_rows(db_path: Path) -> int:
    db = store.Database(db_path, read_only=True)
    try:
        return int(db.table_count("indicators"))
    finally:
        db.close()


def _page_lines(prows) -> list[str]:
    lines = ["| page | first load | rerun | date change | interaction | miss | warm |",
             "|---|---:|---:|---:|---|---:|---:|"]
    sec = lambda v: "–" if v is None else f"{v:.2f}"   # noqa: E731
    for r in prows:
        acts = r["actions"] or [{"label": "–", "miss": None, "warm": None}]
        for i, a in enumerate(acts):
            head = (f"| {r['page']} | {r['first']:.2f} | {r['rerun']:.2f} | {r['date']:.2f} |"
                    if i == 0 else "| | | | |")
            lines.append(f"{head} {a['label']} | {sec(a['miss'])} | {sec(a['warm'])} |")
    return lines


def markdown(args, imports, qrows, prows, sess, lrows=(), long_rows=None) -> str:
    ms = lambda v: "–" if v is None else f"{v * 1000:.1f}"   # noqa: E731
    lines = [f"# National-scale benchmark — {dt.date.today().isoformat()}", "",
             f"`python benchmarks/bench_national.py --scale {args.scale} --repeat {args.repeat}"
             f" --sessions {args.sessions}{' --big-file' if args.big_file else ''}"
             f"{f' --big-mb {args.big_mb:g}' if args.big_file and args.big_mb != 150 else ''}`",
             "",
             f"Machine: {machine()}.", ""]
    if imports:
        lines += ["## Imports (one process per file, every check included)", "",
                  "| file | MB | rows | wall s | CPU s | peak MB |", "|---|---:|---:|---:|---:|---:|"]
    for name, r in imports:
        lines.append(f"| {name} | {r['mb']:.0f} | {r['rows']:,} | {r['wall']:.1f} | "
                     f"{r['cpu']:.1f} | {r['rss_mb']:.0f} |")
    if qrows:
        lines += ["", f"## Named queries (as_of {AS_OF.isoformat()}, ms)", "",
                  "cold = first run in a fresh process; warm = median; macros = the same "
                  "question over the reference macros (section 4 from every cell); pandas = a "
                  "straightforward pandas implementation over the raw tables (results checked "
                  "equal); scan = DuckDB's bare scan of the largest table the query reads.", "",
                  "| query | rows | cold | warm | macros | pandas | pandas ÷ warm | scan (table) |",
                  "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in qrows:
        ratio = f"{r['pandas'] / r['warm']:.0f}×" if r.get("pandas") else "–"
        lines.append(f"| {r['query']} | {r['rows']:,} | {ms(r['cold'])} | {ms(r['warm'])} | "
                     f"{ms(r['reference'])} | {ms(r.get('pandas'))} | {ratio} | "
                     f"{ms(r['scan'])} ({r['scan_table']}) |")
    lines += ["", "## Pages (server script time in AppTest, median, seconds)", "",
              "first load = server caches cleared (then the data's background preparation "
              "left to finish); rerun = the same view again; date change ="
              f" the shared date moved to {OTHER_DATE.isoformat()}; an interaction's miss = its"
              " first time after the date change, warm = the same interaction again.", ""]
    if PREPARED:
        lines += [
            f"The evaluation's date-free rows are prepared in the background after each data "
            f"change (web/evaluation_data.py): {statistics.median(PREPARED):.2f} s (median of "
            f"{len(PREPARED)}, on a thread beside the pages); pages are timed once it is done.",
            ""]
    lines += _page_lines(prows)
    if lrows:
        lines += ["", f"## Pages on a long history ({long_rows:,} indicator rows: the "
                  f"{args.big_mb:g} MB file imported into a copy)", "",
                  "The pages that read the whole indicator history, timed as above on the copy "
                  "of the database that holds the big file's older months too.", "",
                  *_page_lines(lrows)]
    if sess:
        lines += ["", "## Concurrent sessions (server RSS, MB)", "",
                  "| sessions | idle | 1 session | all loaded | after a date change in each | "
                  "per extra session |", "|---:|---:|---:|---:|---:|---:|",
                  f"| {sess['sessions']} | {sess['idle_mb']:.0f} | {sess['one_mb']:.0f} | "
                  f"{sess['all_mb']:.0f} | {sess['after_date_mb']:.0f} | "
                  f"{sess['per_session_mb']:.1f} |"]
    return "\n".join(lines) + "\n"


def main(argv=None, browser=None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--big-file", action="store_true",
                    help="also import a ~150 MB indicators file, into a copy of the database "
                         "(a long history), and time the pages that read the history on it")
    ap.add_argument("--big-mb", type=float, default=150.0,
                    help="size of that file in MB (the tiny-scale test makes a small one)")
    ap.add_argument("--skip", default="",
                    help="comma list of parts to skip: queries,pages,sessions")
    ap.add_argument("--out")
    ap.add_argument("--workdir")
    ap.add_argument("--sessions-only", metavar="DB",
                    help="only the concurrent sessions, on an existing database")
    ap.add_argument("--pages-only", metavar="DB",
                    help="only the pages in AppTest, on an existing database")
    ap.add_argument("--only", default="",
                    help="with --pages-only: comma list of page files (overview,models,…)")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    only = set(filter(None, args.only.split(","))) or None
    if args.pages_only:
        prows = bench_pages(Path(args.pages_only), args.repeat, only)
        if args.out:
            Path(args.out).write_text(markdown(args, [], [], prows, None), encoding="utf-8")
        return {"pages": prows}
    if args.sessions_only:
        sess = bench_sessions(Path(args.sessions_only), args.sessions, browser)
        return {"sessions": sess}
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        files = national.write_files(folder, args.scale)
        print(f"files written in {time.perf_counter() - t:.1f} s: " + ", ".join(
            f"{k} {p.stat().st_size / 1e6:.1f} MB" for k, p in files.items()), flush=True)
        db_path = folder / "national.duckdb"
        imports = []
        for name in ("units", "cells", "models", "indicators"):
            r = run_import(db_path, name, files[name])
            imports.append((name, r))
            print(f"import {name:<12} {r['rows']:>9,} rows {r['mb']:6.1f} MB  wall "
                  f"{r['wall']:6.1f} s  CPU {r['cpu']:6.1f} s  peak {r['rss_mb']:6.0f} MB",
                  flush=True)
        r = run_import(db_path, "cells", files["cells"])
        imports.append(("cells again (all unchanged)", r))
        print(f"import cells again: wall {r['wall']:.1f} s, peak {r['rss_mb']:.0f} MB",
              flush=True)
        long_path, long_rows = folder / "national-long.duckdb", None
        if args.big_file:
            # the pages are timed on the national data set as stated (~1.2M indicator rows);
            # the big file goes into a copy: a province with a long history
            shutil.copy(db_path, long_path)
            big = big_indicators(folder, files, args.big_mb)
            r = run_import(long_path, "indicators", big)
            imports.append((f"indicators, {args.big_mb:g} MB file (into a copy)", r))
            print(f"import big indicators {r['rows']:,} rows {r['mb']:.0f} MB: wall "
                  f"{r['wall']:.1f} s, CPU {r['cpu']:.1f} s, peak {r['rss_mb']:.0f} MB",
                  flush=True)
            long_rows = _indicator_rows(long_path)
        qrows = [] if "queries" in skip else bench_queries(db_path, args.repeat)
        prows = [] if "pages" in skip else bench_pages(db_path, args.repeat)
        lrows = [] if "pages" in skip or not args.big_file else bench_pages(
            long_path, args.repeat, LONG_HISTORY_PAGES)
        sess = None if "sessions" in skip else bench_sessions(db_path, args.sessions,
                                                              browser)
    text = markdown(args, imports, qrows, prows, sess, lrows, long_rows)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return {"imports": imports, "queries": qrows, "pages": prows, "sessions": sess,
            "long_pages": lrows, "long_indicator_rows": long_rows, "markdown": text}


if __name__ == "__main__":
    main()
