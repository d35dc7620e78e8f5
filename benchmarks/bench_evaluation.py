"""Benchmark of the evaluation ("Thí điểm và nhân rộng"): Monte Carlo checks of the inference
on panels with a known truth, and the speed of every step the page runs at national scale.

    python benchmarks/bench_evaluation.py monte-carlo [--reps 200] [--out FILE]
    python benchmarks/bench_evaluation.py speed [--villages 100000] [--cells 250000]
                                                [--indicators 8] [--out FILE]

monte-carlo: for each design (started communes per wave, effect shape), simulated panels
(AR(1) noise, ρ = 0.5, common monthly shocks) with a true effect of 0 — or a known non-zero
effect for the bias rows — report the share of intervals that cover the truth, the share of
"Bằng chứng mạnh" labels, the pre-trend test's false rejections, and the share of panels where
at least one cohort is declared an effect after Holm.
speed: builds a national database (benchmarks/bench_core.py's generator; cells end at random,
monthly indicators per commune) directly in DuckDB and times the named queries and the
computations of the page, cold and warm.
"""
from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.analysis import evaluation as ev  # noqa: E402
from dashboard.analysis.evaluation.simulate import simulate, true_effect  # noqa: E402

DESIGNS = [
    # label, waves (started communes per wave), communes, effect, size
    ("2 xã (thí điểm), hiệu ứng 0", (2,), 40, "constant", 0.0),
    ("6 xã, hiệu ứng 0", (6,), 40, "constant", 0.0),
    ("12 xã, hiệu ứng 0", (12,), 60, "constant", 0.0),
    ("8 đợt × 6 xã + 2 thí điểm, hiệu ứng 0", (2, 6, 6, 6, 6, 6, 6, 6, 5), 99, "constant", 0.0),
    ("8 đợt × 6 xã + 2, hiệu ứng tăng dần", (2, 6, 6, 6, 6, 6, 6, 6, 5), 99, "growing", 1.0),
    ("3 đợt × 12 xã, hiệu ứng khác nhau theo đợt", (12, 12, 12), 99, "cohort", 1.0),
]


def monte_carlo(reps: int, window: int = 12, months: int = 40) -> pd.DataFrame:
    rows = []
    for label, waves, n, shape, size in DESIGNS:
        t0 = time.perf_counter()
        cover, strong, pre_rej, any_sig, described, bias, cov_coh = [], [], [], [], [], [], []
        for r in range(reps):
            panel, cohorts, truth = simulate(n_communes=n, waves=waves, months=months,
                                             first_start=15, effect=shape, size=size,
                                             pilot=len(waves) > 1 and waves[0] == 2, seed=r)
            res = ev.effects(panel, cohorts, window, seed=r)
            tv = true_effect(cohorts, truth, window, months)
            main = res.main()
            if not main.has_interval:
                described.append(1)
            else:
                described.append(0)
                cover.append(main.ci_low <= tv[main.cohort] <= main.ci_high)
                pre_rej.append(main.pretrend_p < 0.05 if np.isfinite(main.pretrend_p) else np.nan)
            bias.append(main.estimate - tv[main.cohort])
            strong.append(any(e.evidence["grade"] == "strong" for e in res.estimates))
            coh = [e for e in res.estimates if e.cohort != "all_started" and e.has_interval]
            any_sig.append(any(e.p_adjusted < 0.05 for e in coh) if coh else np.nan)
            cov_coh += [e.ci_low <= tv[e.cohort] <= e.ci_high for e in coh]
        rows.append({
            "design": label, "reps": reps,
            "main method": main.method,
            "no interval (descriptive)": np.mean(described),
            "main interval covers truth": np.mean(cover) if cover else np.nan,
            "cohort intervals cover truth": np.mean(cov_coh) if cov_coh else np.nan,
            "mean error of main estimate": float(np.mean(bias)),
            "'mạnh' given (any estimate)": float(np.mean(strong)),
            "pre-trend test rejects (true: none)": float(np.nanmean(pre_rej)) if pre_rej
            else np.nan,
            "≥1 cohort significant after Holm": float(np.nanmean(any_sig))
            if any(np.isfinite(any_sig)) else np.nan,
            "seconds per panel": (time.perf_counter() - t0) / reps})
        print(rows[-1], flush=True)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
def national_db(path: Path, n_villages: int, n_cells: int, n_indicators: int, seed: int = 7):
    from bench_core import national

    from dashboard import store

    data = national(n_villages, n_cells, seed)
    rng = np.random.default_rng(seed)
    units = data["units"].copy()
    units["households"] = pd.to_numeric(units["households"].replace("", None))
    units["parent_code"] = units["parent_code"].replace("", None)
    units["population"] = None
    cells = data["cells"].copy()
    cells["established_on"] = pd.to_datetime(cells["established_on"], format="%d/%m/%Y")
    # a tenth of the cells end 3–30 months after founding
    ends = cells["established_on"] + pd.to_timedelta(rng.integers(90, 900, len(cells)), "D")
    cells["ended_on"] = ends.where(rng.random(len(cells)) < 0.1)
    cells["phase"] = np.where(cells["phase"] == "Thí điểm", "pilot", "rollout")
    cells["cell_type"] = None
    cells["tasks"] = None
    cells["members"] = cells["members"].astype(int)
    cells["households_covered"] = cells["households_covered"].astype(int)
    communes = units.loc[units["level"] == "commune", "unit_code"].to_numpy()
    periods = pd.period_range("2022-01", "2025-12", freq="M").strftime("%Y-%m")
    ind = []
    for k in range(n_indicators):
        base = rng.uniform(2, 9, len(communes))
        vals = rng.poisson(np.repeat(base, len(periods))).astype(float)
        ind.append(pd.DataFrame({"unit_code": np.repeat(communes, len(periods)),
                                 "period": np.tile(periods, len(communes)),
                                 "indicator": f"indicator_{k}", "value": vals}))
    indicators = pd.concat(ind, ignore_index=True)
    db = store.Database(path)
    cur = db.cursor()
    cur.register("u", units[["unit_code", "unit_name", "level", "parent_code", "households",
                             "population"]])
    cur.execute("INSERT INTO units SELECT * FROM u")
    cur.register("c", cells[["cell_id", "cell_name", "cell_type", "unit_code", "phase",
                             "established_on", "ended_on", "members", "households_covered",
                             "tasks"]])
    cur.execute("INSERT INTO cells SELECT * FROM c")
    cur.register("i", indicators)
    cur.execute("INSERT INTO indicators SELECT * FROM i")
    cur.close()
    db.close()
    return len(communes), len(cells), len(indicators)


def speed(args) -> pd.DataFrame:
    from dashboard import store
    from dashboard.store import queries

    rows = []

    def timed(label, fn):
        t = time.perf_counter()
        out = fn()
        s = time.perf_counter() - t
        rows.append({"step": label, "seconds": round(s, 3)})
        print(f"{label:<64} {s:8.3f} s", flush=True)
        return out

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "national.duckdb"
        n_c, n_cells, n_ind = national_db(path, args.villages, args.cells, args.indicators)
        print(f"{n_c} communes, {n_cells} cells, {n_ind} indicator rows", flush=True)
        db = store.Database(path, read_only=True)
        as_of = dt.date(2025, 12, 31)
        p = {"as_of": as_of, "communes": None}
        for rep in ("cold", "warm"):
            starts = timed(f"eval_commune_starts ({rep})",
                           lambda: queries.run(db, "eval_commune_starts", p))
            hist = timed(f"eval_coverage_history ({rep})",
                         lambda: queries.run(db, "eval_coverage_history", p))
            cells = timed(f"eval_cell_survival ({rep})",
                          lambda: queries.run(db, "eval_cell_survival", p))
            inds = timed(f"eval_indicators ({rep})", lambda: queries.run(db, "eval_indicators", p))
            raw = timed(f"eval_indicator_panel ({rep})", lambda: queries.run(
                db, "eval_indicator_panel", indicator="indicator_0", **p))
        cohorts = timed("cohorts", lambda: ev.assign_cohorts(starts))
        timed("figures at 6/12/24 months", lambda: ev.figures_at_horizons(hist, cohorts))
        timed("ramp-up", lambda: ev.ramp_up(hist, ev.phase_cohorts(cohorts), max_months=36))
        timed("Kaplan–Meier + bootstrap (by phase)",
              lambda: ev.cell_survival(cells, ev.phase_cohorts(cohorts), as_of))
        timed("Kaplan–Meier curves", lambda: ev.survival_curves(cells, ev.phase_cohorts(cohorts),
                                                                as_of))
        panel = ev.prepare_panel(raw)
        res = timed("effects: ATT(g,t), inference, labels, event study",
                    lambda: ev.effects(panel, cohorts, 12))
        data = ev.EvalData(as_of, cohorts, hist, cells, inds)
        ov = timed("page overview in one call (all of the above but effects)",
                   lambda: ev.compute_overview(data, "phase"))
        timed("findings (summary sentences, from the overview and effects)",
              lambda: ev.findings(data, panel, "indicator_0", result=res, overview=ov))
        timed("effects again with k = 6 (an interaction that misses the cache)",
              lambda: ev.effects(panel, cohorts, 6))
        db.close()
        print(f"{len(res.estimates)} estimates; methods: "
              f"{sorted({e.method for e in res.estimates})}")
    return pd.DataFrame(rows)


def markdown(df: pd.DataFrame) -> str:
    def cell(v):
        if isinstance(v, float):
            return "–" if np.isnan(v) else f"{v:.3f}"
        return str(v)
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    m = sub.add_parser("monte-carlo")
    m.add_argument("--reps", type=int, default=200)
    m.add_argument("--out")
    s = sub.add_parser("speed")
    s.add_argument("--villages", type=int, default=100_000)
    s.add_argument("--cells", type=int, default=250_000)
    s.add_argument("--indicators", type=int, default=8)
    s.add_argument("--out")
    args = parser.parse_args()
    t = time.perf_counter()
    df = monte_carlo(args.reps) if args.what == "monte-carlo" else speed(args)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(f"<!-- {' '.join(sys.argv)} · {platform.processor() or platform.machine()}"
                     f" · {dt.date.today().isoformat()} · {time.perf_counter() - t:.0f} s -->\n")
            fh.write(markdown(df) + "\n")


if __name__ == "__main__":
    main()
