"""Gaps and planner against a hand-computed example, through the real named queries."""
import datetime as dt

import pandas as pd
import pytest

from dashboard import store
from dashboard.analysis import planner
from dashboard.store import queries

AS_OF = dt.date(2025, 6, 30)

# Commune 90001 has villages A (100 hh), B (45 hh), C (0 cells, 81 hh);
# commune 90002 has no village (own households 50) and one cell attached directly.
UNITS = [
    ("90", "Tỉnh thử", "province", None, None),
    ("90001", "Xã Một", "commune", "90", None),
    ("90002", "Xã Hai", "commune", "90", 50),
    ("90001-A", "Thôn A", "village", "90001", 100),
    ("90001-B", "Thôn B", "village", "90001", 45),
    ("90001-C", "Thôn C", "village", "90001", 81),
]
CELLS = [  # cell_id, unit, established, ended, members, households_covered
    ("T1", "90001-A", "2024-01-01", None, 6, 40),
    ("T2", "90001-A", "2024-01-01", None, 5, 25),
    ("T3", "90001-B", "2024-01-01", None, 7, 70),        # overloaded and > village's 45
    ("T4", "90001-B", "2024-01-01", "2025-01-01", 5, 40),  # ended: not active
    ("T5", "90002", "2024-01-01", None, 8, 30),
]


@pytest.fixture
def db(tmp_path):
    d = store.Database(tmp_path / "p.duckdb")
    cur = d.cursor()
    for u in UNITS:
        cur.execute("INSERT INTO units VALUES (?, ?, ?, ?, ?, NULL)", list(u))
    for c in CELLS:
        cur.execute("INSERT INTO cells VALUES (?, ?, NULL, ?, 'pilot', ?, ?, ?, ?, NULL)",
                    [c[0], "Tổ " + c[0], c[1], c[2], c[3], c[4], c[5]])
    cur.close()
    yield d
    d.close()


def frames(db):
    v = queries.run(db, "coverage_by_unit", level="village", as_of=AS_OF)
    c = queries.run(db, "coverage_by_unit", level="commune", as_of=AS_OF)
    cells = queries.run(db, "coverage_cells", as_of=AS_OF)
    return v, c, cells


def test_new_cells_rule():
    # 80 % of 81 = 64.8 -> 65 households; 65 - 0 = 65 -> ceil(65/40) = 2 cells
    assert planner.new_cells_needed(81, 0, 80, 40) == (65, 2)
    assert planner.new_cells_needed(100, 65, 100, 40) == (35, 1)
    assert planner.new_cells_needed(45, 45, 100, 40) == (0, 0)
    assert planner.target_covered(10, 30) == 3        # no float noise: 10 * 0.3 = 3
    with pytest.raises(ValueError):
        planner.new_cells_needed(10, 0, 100, 0)


def test_gaps(db):
    v, c, cells = frames(db)
    none = planner.villages_without_cells(v)
    assert list(none.unit_code) == ["90001-C"]
    below = planner.below_target(v, 100)
    # A: 65/100 -> 35 short; C: 0/81 -> 81 short; B capped at 45/45 -> covered
    assert list(below.unit_code) == ["90001-C", "90001-A"]
    assert list(below.shortfall_households) == [81, 35]
    below60 = planner.below_target(v, 60)   # A has 65 >= 60; C needs 49
    assert list(below60.unit_code) == ["90001-C"]
    assert below60.shortfall_households.iloc[0] == 49
    assert len(cells) == 4                                  # T4 ended before as_of
    over = planner.overloaded_cells(cells, 60)
    assert list(over.cell_id) == ["T3"]
    check = planner.cells_to_check(cells)
    assert list(check.cell_id) == ["T3"]
    assert check.excess_households.iloc[0] == 25            # 70 - 45
    assert check.reason.iloc[0].startswith("Số hộ phụ trách của tổ lớn hơn")


def test_cells_to_check_together():
    cells = pd.DataFrame({"cell_id": ["a", "b", "c"], "unit_code": ["v", "v", "w"],
                          "households_covered": [30, 30, 10], "unit_households": [50, 50, 40],
                          "unit_households_covered_raw": [60, 60, 10]})
    out = planner.cells_to_check(cells)
    assert list(out.cell_id) == ["a", "b"]
    assert set(out.reason) == {"Tổng số hộ phụ trách của các tổ trong địa bàn lớn hơn số hộ "
                               "của địa bàn"}
    assert list(out.excess_households) == [10, 10]


def test_distribution_summary(db):
    _, _, cells = frames(db)
    s = planner.distribution_summary(cells, 40, (5, 8))
    # households 40, 25, 70, 30 -> above 40: one (70); members 6, 5, 7, 8 -> all in range
    assert s == {"cells": 4, "median_households_per_cell": 35.0, "median_members": 6.5,
                 "above_households_norm": 1, "members_below_range": 0,
                 "members_above_range": 0, "members_in_range": 4}


def test_planner(db):
    v, c, _ = frames(db)
    vp = planner.plan_villages(v, 100, 40)
    # C: 81 short -> 3 cells; A: 35 short -> 1 cell; B: none
    assert list(vp.unit_code) == ["90001-C", "90001-A", "90001-B"]
    assert list(vp.priority) == [1, 2, 3]
    assert list(vp.new_cells) == [3, 1, 0]
    assert list(vp.shortfall_households) == [81, 35, 0]
    cp = planner.plan_communes(c, vp, 100, 40)
    row = cp.set_index("unit_code")
    # 90001: 3 + 1 = 4 cells, 116 households short; 90002 (no village): 50 - 30 = 20 -> 1 cell
    assert row.loc["90001", "new_cells"] == 4
    assert row.loc["90001", "shortfall_households"] == 116
    assert row.loc["90001", "villages_needing_cells"] == 2
    assert row.loc["90002", "new_cells"] == 1
    assert row.loc["90002", "shortfall_households"] == 20
    assert list(cp.unit_code) == ["90001", "90002"]       # 116 uncovered before 20
    total = planner.plan_total(cp)
    assert total["new_cells"] == 5
    assert total["shortfall_households"] == 136
    assert total["households"] == 226 + 50
    assert total["households_covered"] == 65 + 45 + 30
    # a 90 % target: C needs ceil(72.9)=73 -> 2 cells; A needs 90-65=25 -> 1 cell
    vp90 = planner.plan_villages(v, 90, 40)
    assert dict(zip(vp90.unit_code, vp90.new_cells)) == {"90001-C": 2, "90001-A": 1,
                                                         "90001-B": 0}


def test_cells_attached_to_a_commune_count_against_its_plan(tmp_path):
    # Commune 91001: village D (80 hh) with no cell, and one cell attached directly to the
    # commune covering 50 households. Village plan: D is 80 short -> 2 cells of 40.
    # Commune: covered = min(0 + 50, 80) = 50 -> 30 short; the direct cell's 50 households
    # are one full cell of 40 -> 2 - 1 = 1 new cell. Its shortfall equals its uncovered.
    d = store.Database(tmp_path / "q.duckdb")
    cur = d.cursor()
    for u in [("91", "Tỉnh", "province", None, None), ("91001", "Xã Ba", "commune", "91", None),
              ("91001-D", "Thôn D", "village", "91001", 80)]:
        cur.execute("INSERT INTO units VALUES (?, ?, ?, ?, ?, NULL)", list(u))
    cur.execute("INSERT INTO cells VALUES ('T9', 'Tổ xã', NULL, '91001', 'rollout', "
                "'2024-01-01', NULL, 6, 50, NULL)")
    cur.close()
    v = queries.run(d, "coverage_by_unit", level="village", as_of=AS_OF)
    c = queries.run(d, "coverage_by_unit", level="commune", as_of=AS_OF)
    vp = planner.plan_villages(v, 100, 40)
    assert list(vp.new_cells) == [2] and list(vp.shortfall_households) == [80]
    cp = planner.plan_communes(c, vp, 100, 40).set_index("unit_code")
    assert cp.loc["91001", "shortfall_households"] == 30
    assert cp.loc["91001", "uncovered_households"] == 30
    assert cp.loc["91001", "new_cells"] == 1
    d.close()


def _units(rng, n: int) -> pd.DataFrame:
    """Random villages: some without households (NaN), some over-covered."""
    hh = [None if rng.random() < 0.05 else rng.randrange(0, 400) for _ in range(n)]
    cov = [rng.randrange(0, 450) for _ in range(n)]
    return pd.DataFrame({
        "unit_code": [f"V{i:05d}" for i in rng.sample(range(n), n)],
        "parent_code": [f"C{rng.randrange(5)}" for _ in range(n)],
        "households": hh, "households_covered": cov,
        "uncovered_households": [(h or 0) - c for h, c in zip(hh, cov)]})


@pytest.mark.parametrize("target,per_cell", [(80, 40), (100, 35), (33.3, 7), (72.5, 40.5),
                                             (30, 3), (1, 500)])
def test_vectorised_rules_equal_the_per_unit_rule(target, per_cell):
    """below_target and plan_villages (whole columns at once) give, unit by unit, what
    target_covered / new_cells_needed give."""
    import random

    rng = random.Random(int(target * 10) + int(per_cell))
    units = _units(rng, 3000)
    want = {r.unit_code: (planner.target_covered(r.households if r.households == r.households
                                                 else None, target),)
            + planner.new_cells_needed(r.households if r.households == r.households else None,
                                       r.households_covered, target, per_cell)
            for r in units.itertuples()}
    plan = planner.plan_villages(units, target, per_cell)
    got = {r.unit_code: (r.target_households, r.shortfall_households, r.new_cells)
           for r in plan.itertuples()}
    assert got == want
    below = planner.below_target(units, target)
    expect = sorted(((-w[1], u) for u, w in want.items()
                     if w[1] > 0 and units.set_index("unit_code").households[u] > 0))
    assert list(below.unit_code) == [u for _s, u in expect]
    assert list(below.shortfall_households) == [-s for s, _u in expect]
    assert (below.shortfall_households == below.target_households
            - below.households_covered).all()


def test_distributions_from_counts_equal_the_cells(db):
    """coverage_cell_counts, expanded, holds the very values of coverage_cells: the same
    summary and histograms (same bins, counts, hover and titles; only the order of the
    values differs)."""
    import base64

    import numpy as np

    from dashboard.output import maps

    def values(trace):
        x = trace["x"]
        if isinstance(x, dict):       # a typed array, as Plotly sends numpy data
            return np.frombuffer(base64.b64decode(x["bdata"]), x["dtype"])
        return np.asarray(x)

    for d in (AS_OF, dt.date(2024, 12, 31), dt.date(2025, 1, 1)):
        for communes in (None, ["90001"], ["90002"]):
            raw = queries.run(db, "coverage_cells", as_of=d, communes=communes)
            counts = queries.run(db, "coverage_cell_counts", as_of=d, communes=communes)
            cells = planner.cells_from_counts(counts)
            assert int(counts.cells.sum()) == len(raw) == len(cells)
            assert planner.distribution_summary(cells, 40, (5, 8)) == \
                planner.distribution_summary(raw, 40, (5, 8))
            for col, size in (("households_covered", 5), ("members", 1),
                              ("households_per_member", 0.5)):
                assert cells[col].dtype == raw[col].dtype
                a = maps.distribution_figure(raw[col], [(40, "40 hộ")], "X", bin_size=size)
                b = maps.distribution_figure(cells[col], [(40, "40 hộ")], "X", bin_size=size)
                a, b = a.to_plotly_json(), b.to_plotly_json()
                xa, xb = values(a["data"][0]), values(b["data"][0])
                assert xa.dtype == xb.dtype and sorted(xa) == sorted(xb)
                for fig in (a, b):
                    fig["data"][0].pop("x")
                assert a == b


def _same_lists(db, d, communes, overload):
    cells = queries.run(db, "coverage_cells", as_of=d, communes=communes)
    flagged = queries.run(db, "coverage_cells_flagged", as_of=d, communes=communes,
                          overload=overload)
    assert list(flagged.columns) == list(cells.columns)
    flagged = planner.gap_cells(flagged, lambda: cells)
    assert (flagged.dtypes == cells.dtypes).all()
    pd.testing.assert_frame_equal(planner.overloaded_cells(flagged, overload),
                                  planner.overloaded_cells(cells, overload))
    pd.testing.assert_frame_equal(planner.cells_to_check(flagged),
                                  planner.cells_to_check(cells))


@pytest.mark.parametrize("overload", [10, 35, 40, 69, 70, 1000])
def test_flagged_cells_give_the_same_gap_lists(db, overload):
    """«Khoảng trống» lists overloaded cells and cells to check from coverage_cells_flagged:
    the same rows, columns and types as from every cell of coverage_cells."""
    for d in (AS_OF, dt.date(2024, 12, 31), dt.date(2025, 1, 1), dt.date(2023, 12, 31)):
        for communes in (None, ["90001"], ["90002"]):
            _same_lists(db, d, communes, overload)


def test_flagged_cells_on_the_demo_data(demo_copy):
    import random

    d = store.Database(demo_copy, read_only=True)
    try:
        starts = list(d.df("SELECT DISTINCT established_on FROM cells ORDER BY 1")
                      .established_on)
        codes = list(d.df("SELECT unit_code FROM units WHERE level = 'commune'").unit_code)
        rng = random.Random(3)
        for _ in range(4):
            day = pd.Timestamp(rng.choice(starts)).date()
            for when in (day - dt.timedelta(days=1), day):
                _same_lists(d, when, rng.choice([None, rng.sample(codes, 2)]),
                            rng.choice([20, 40, 60, 100]))
    finally:
        d.close()


def test_largest_first_equals_the_two_key_sort():
    """The stable one-key sort (input already in code order) and the two-key sort give the
    same rows in the same order: ties on the figure, missing figures, codes out of order."""
    import random

    from pandas.testing import assert_frame_equal

    rng = random.Random(5)
    for trial in range(40):
        n = rng.randrange(0, 60)
        codes = sorted(f"{rng.randrange(10_000):05d}" for _ in range(n))
        vals = [rng.choice([None, 0, 1, 2, 3, 3.5]) for _ in range(n)]
        df = pd.DataFrame({"unit_code": pd.Series(codes, dtype="str"),
                           "x": pd.Series(vals, dtype="float64")})
        if trial % 3 == 0:                        # not in code order: the two-key sort
            df = df.sample(frac=1, random_state=trial)
        want = df.sort_values(["x", "unit_code"], ascending=[False, True])
        assert_frame_equal(planner.largest_first(df, "x"), want)
