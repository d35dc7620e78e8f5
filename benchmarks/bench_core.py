"""Benchmark of the core at national scale: import (read → validate → compare → commit) and
the contract's named queries, on 34 provinces, 3,321 communes, ~100k villages, ~250k cells.

    python benchmarks/bench_core.py [--villages 100000] [--cells 250000] [--out FILE]

Prints one line per measured step; --out writes the Markdown results table.
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

from dashboard import ingest, store  # noqa: E402
from dashboard.store import queries, reference


def national(n_villages: int, n_cells: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ref = reference.tables()
    prov = ref["ref_provinces"]
    com = ref["ref_communes"]
    units = [pd.DataFrame({"unit_code": prov.province_code, "unit_name": prov.province_name,
                           "level": "province", "parent_code": "", "households": ""}),
             pd.DataFrame({"unit_code": com.commune_code, "unit_name": com.commune_name,
                           "level": "commune", "parent_code": com.province_code,
                           "households": ""})]
    parent = com.commune_code.to_numpy()[rng.integers(0, len(com), n_villages)]
    vcodes = [f"{p}-{i:06d}" for i, p in enumerate(parent)]
    hh = rng.integers(60, 450, n_villages)
    units.append(pd.DataFrame({"unit_code": vcodes, "unit_name": [f"Thôn {i}" for i in
                                                                   range(n_villages)],
                               "level": "village", "parent_code": parent,
                               "households": hh.astype(str)}))
    units_df = pd.concat(units, ignore_index=True)
    vidx = rng.integers(0, n_villages, n_cells)
    start = dt.date(2023, 1, 1)
    est = [(start + dt.timedelta(days=int(d))).strftime("%d/%m/%Y")
           for d in rng.integers(0, 1200, n_cells)]
    cells_df = pd.DataFrame({
        "cell_id": [f"C{i:07d}" for i in range(n_cells)],
        "cell_name": [f"Tổ dân vận {i}" for i in range(n_cells)],
        "unit_code": np.asarray(vcodes)[vidx],
        "phase": np.where(rng.random(n_cells) < 0.05, "Thí điểm", "Nhân rộng"),
        "established_on": est,
        "members": rng.integers(5, 9, n_cells).astype(str),
        "households_covered": rng.integers(25, 60, n_cells).astype(str)})
    return {"units": units_df, "cells": cells_df}


def timed(label: str, fn, results: list):
    t = time.perf_counter()
    out = fn()
    secs = time.perf_counter() - t
    results.append((label, secs))
    print(f"{label:<58} {secs:8.2f} s", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--villages", type=int, default=100_000)
    ap.add_argument("--cells", type=int, default=250_000)
    ap.add_argument("--out")
    args = ap.parse_args()
    results: list[tuple[str, float]] = []
    data = national(args.villages, args.cells)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files = {}
        for name, frame in data.items():
            files[name] = tmp / f"{name}.csv"
            frame.to_csv(files[name], index=False, encoding="utf-8")
        db = store.Database(tmp / "bench.duckdb")
        n_units = len(data["units"])
        r = timed(f"import units ({n_units:,} rows, new)", lambda: ingest.import_file(
            db, "units", files["units"]), results)
        assert r.committed, r.summary_text()[:2000]
        r = timed(f"import cells ({args.cells:,} rows, new)", lambda: ingest.import_file(
            db, "cells", files["cells"]), results)
        assert r.committed, r.summary_text()[:2000]
        r = timed(f"check the same cells again ({args.cells:,} unchanged, dry run)", lambda: ingest.import_file(
            db, "cells", files["cells"], dry_run=True), results)
        assert r.unchanged == args.cells
        as_of = dt.date(2025, 6, 30)
        for name, params in (("kpi_overview", {}), ("coverage_by_unit", {"level": "commune"}),
                             ("coverage_by_unit", {"level": "village"}),
                             ("pilot_vs_rollout", {}), ("models_by_field", {}),
                             ("cells_over_time", {})):
            label = f"query {name} {' '.join(f'{k}={v}' for k, v in params.items())}".strip()
            df = timed(label, lambda name=name, params=params: queries.run(db, name, {"as_of": as_of, **params}),
                       results)
            assert len(df) > 0
        db.close()
    if args.out:
        lines = [f"# Core benchmark — {dt.date.today().isoformat()}", "",
                 f"`python benchmarks/bench_core.py --villages {args.villages} --cells "
                 f"{args.cells}` on {platform.machine()}, Python {platform.python_version()}, "
                 "2 cores.", "", "| step | seconds |", "|---|---:|"]
        lines += [f"| {label} | {secs:.2f} |" for label, secs in results]
        Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
