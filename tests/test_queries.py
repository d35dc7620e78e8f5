"""Named queries against a small hand-computed example (DESIGN.md sections 4–5).

Example: province 99 with communes A (villages A1 100 hh, A2 50 hh), B (village B1 80 hh),
C (no villages, 100 hh of its own) and D (village D1 60 hh, never any cell).
Cells: c1 A1 pilot 5 members 40 hh from 2024-01-01; c2 A1 rollout 6/80 from 2024-03-01 (A1 is
over-covered: 120 > 100, capped); c3 A2 rollout 5/30 from 2025-01-01; c4 B1 rollout 7/40
2024-02-01 → ended 2024-12-31; c5 attached directly to commune C 8/50 from 2024-05-01;
c6 attached directly to commune A 4/20 from 2024-04-01.
"""
import datetime as dt

import pytest

from dashboard import ingest, store
from dashboard.store import queries

D1 = dt.date(2024, 6, 30)
D2 = dt.date(2025, 6, 30)

UNITS = """unit_code,unit_name,level,parent_code,households
99,Tỉnh Thử,province,,
00001,Xã A,commune,99,
00002,Xã B,commune,99,
00003,Xã C,commune,99,100
00004,Xã D,commune,99,
A1,Thôn A1,village,00001,100
A2,Thôn A2,village,00001,50
B1,Thôn B1,village,00002,80
D1,Thôn D1,village,00004,60
"""
CELLS = """cell_id,cell_name,unit_code,phase,established_on,ended_on,members,households_covered
c1,Tổ 1,A1,pilot,2024-01-01,,5,40
c2,Tổ 2,A1,rollout,2024-03-01,,6,80
c3,Tổ 3,A2,rollout,2025-01-01,,5,30
c4,Tổ 4,B1,rollout,2024-02-01,2024-12-31,7,40
c5,Tổ 5,00003,rollout,2024-05-01,,8,50
c6,Tổ 6,00001,rollout,2024-04-01,,4,20
"""
MODELS = """model_id,model_name,field,level,unit_code,started_on,ended_on
m1,Mô hình 1,economy,commune,00001,2024-01-01,
m2,Mô hình 2,defense_security,village,B1,2024-07-01,
m3,Mô hình 3,economy,commune,00003,2023-01-01,2024-03-01
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    d = store.Database(tmp_path_factory.mktemp("q") / "q.duckdb")
    for name, text in (("units", UNITS), ("cells", CELLS), ("models", MODELS)):
        r = ingest.import_bytes(d, name, text.encode(), f"{name}.csv")
        assert r.committed, r.summary_text()
    yield d
    d.close()


def rows(db, name, **params):
    return queries.run(db, name, params).to_dict("records")


def test_every_query_file_declares_its_params_and_columns(db):
    for name in queries.names():
        q = queries.get(name)
        assert q.title and q.columns and q.param_doc is not None, name
        needs = [p for p in q.params if p not in queries.defaults()]
        if needs:  # queries with required parameters are run by their own tests
            continue
        df = queries.run(db, name, {"as_of": D1})
        assert list(df.columns) == list(q.columns), name


def test_kpi_overview_at_two_dates(db):
    k1 = rows(db, "kpi_overview", as_of=D1)[0]
    assert k1 == {"communes": 4, "communes_with_cells": 3, "villages": 4,
                  "villages_with_cells": 2, "cells": 5, "members": 30, "households": 390,
                  "households_covered": 210, "coverage_pct": 53.85, "models": 3,
                  "active_models": 1, "models_started": 2}   # m2 starts on 01/07/2024
    k2 = rows(db, "kpi_overview", as_of=D2)[0]
    assert k2["cells"] == 5 and k2["members"] == 28
    assert k2["households_covered"] == 200 and k2["coverage_pct"] == 51.28
    assert k2["communes_with_cells"] == 2 and k2["villages_with_cells"] == 2
    assert k2["active_models"] == 2


def test_models_as_of_a_date_count_what_existed_then(db):
    """models_started: started_on <= as_of (ended or not); models: every model."""
    before = rows(db, "kpi_overview", as_of=dt.date(2024, 6, 30))[0]
    on_the_day = rows(db, "kpi_overview", as_of=dt.date(2024, 7, 1))[0]
    assert (before["models"], before["models_started"]) == (3, 2)
    assert (on_the_day["models"], on_the_day["models_started"]) == (3, 3)
    field = {x["field"]: x for x in rows(db, "models_by_field", as_of=dt.date(2024, 6, 30))}
    assert field["defense_security"]["models"] == 1
    assert field["defense_security"]["models_started"] == 0
    assert field["economy"]["models_started"] == 2 and field["economy"]["active_models"] == 1


def test_coverage_by_commune(db):
    r = {x["unit_code"]: x for x in rows(db, "coverage_by_unit", level="commune", as_of=D1)}
    a = r["00001"]
    assert (a["households"], a["cells"], a["members"], a["households_covered"]) == (150, 3, 15, 120)
    assert a["coverage_pct"] == 80.0 and a["uncovered_households"] == 30
    assert a["households_per_cell"] == pytest.approx(46.67) and a["households_per_member"] == pytest.approx(9.33)
    assert r["00003"]["households"] == 100 and r["00003"]["households_covered"] == 50
    assert r["00004"]["coverage_pct"] == 0 and r["00004"]["households_per_cell"] is None or \
        r["00004"]["households_per_cell"] != r["00004"]["households_per_cell"]
    r2 = {x["unit_code"]: x for x in rows(db, "coverage_by_unit", level="commune", as_of=D2)}
    assert r2["00001"]["households_covered"] == 150 and r2["00001"]["coverage_pct"] == 100.0
    assert r2["00002"]["cells"] == 0 and r2["00002"]["households_covered"] == 0


def test_coverage_by_village_caps_over_covered_village(db):
    r = {x["unit_code"]: x for x in rows(db, "coverage_by_unit", level="village", as_of=D1)}
    assert r["A1"]["households_covered"] == 100 and r["A1"]["coverage_pct"] == 100.0
    assert r["A1"]["households_per_cell"] == 60.0          # uncapped 120 / 2
    assert r["A1"]["uncovered_households"] == 0
    assert r["B1"]["coverage_pct"] == 50.0 and r["A2"]["cells"] == 0
    assert set(r) == {"A1", "A2", "B1", "D1"}


def test_pilot_vs_rollout(db):
    r = {x["phase"]: x for x in rows(db, "pilot_vs_rollout", as_of=D1)}
    assert list(r) == ["pilot", "rollout", "none"]
    p, ro, n = r["pilot"], r["rollout"], r["none"]
    assert (p["communes"], p["cells"], p["members"], p["households"], p["households_covered"]) == (1, 3, 15, 150, 120)
    assert p["members_per_cell"] == 5.0 and p["coverage_pct"] == 80.0
    assert p["households_per_member"] == pytest.approx(9.33)
    assert (ro["communes"], ro["cells"], ro["members"], ro["households"], ro["households_covered"]) == (2, 2, 15, 180, 90)
    assert ro["members_per_cell"] == 7.5 and ro["coverage_pct"] == 50.0 and ro["households_per_member"] == 6.0
    assert (n["communes"], n["cells"], n["households"], n["coverage_pct"]) == (1, 0, 60, 0)
    r2 = {x["phase"]: x for x in rows(db, "pilot_vs_rollout", as_of=D2)}
    assert r2["rollout"]["cells"] == 1 and r2["rollout"]["coverage_pct"] == 27.78
    assert r2["rollout"]["households_per_member"] == 6.25


def test_models_by_field(db):
    r = {x["field"]: (x["models"], x["active_models"]) for x in rows(db, "models_by_field", as_of=D1)}
    assert r == {"economy": (2, 1), "culture_society": (0, 0), "defense_security": (1, 0),
                 "political_system": (0, 0)}
    r2 = {x["field"]: (x["models"], x["active_models"]) for x in rows(db, "models_by_field", as_of=D2)}
    assert r2["defense_security"] == (1, 1) and r2["economy"] == (2, 1)


def test_commune_filter(db):
    k = rows(db, "kpi_overview", as_of=D1, communes=["00002", "00003"])[0]
    assert (k["communes"], k["cells"], k["households"], k["households_covered"]) == (2, 2, 180, 90)
    assert k["models"] == 2          # m2 sits in village B1 of commune B, m3 in commune C
