"""Import memory and CPU at national scale: one indicators file into a database holding the
national units, cells and models, each import in its own process (wall, CPU, VmHWM).

    python benchmarks/bench_import.py BASE.duckdb INDICATORS.csv [--big BIG.csv] [--repeat 3]

BASE.duckdb: units, cells and models imported, no indicators (copied for every run, never
written). Runs: the file into a fresh copy ("fresh"), the same file again into that copy
("again", every row unchanged), and --big (a ~150 MB file, see bench_national.big_indicators)
into a fresh copy. Medians of --repeat.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_national import run_import  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("file")
    ap.add_argument("--big")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    runs: dict[str, list[dict]] = {"fresh": [], "again": [], "big": []}
    with tempfile.TemporaryDirectory(dir=Path(args.base).parent) as tmp:
        for _ in range(args.repeat):
            db = Path(tmp) / "run.duckdb"
            shutil.copy(args.base, db)
            runs["fresh"].append(run_import(db, "indicators", Path(args.file)))
            runs["again"].append(run_import(db, "indicators", Path(args.file)))
            if args.big:
                db.unlink()
                shutil.rmtree(Path(tmp) / "archive", ignore_errors=True)
                shutil.copy(args.base, db)
                runs["big"].append(run_import(db, "indicators", Path(args.big)))
            db.unlink()
            shutil.rmtree(Path(tmp) / "archive", ignore_errors=True)
    print(f"{'run':6} {'MB':>6} {'rows':>9} {'new':>9} {'unch.':>9} {'wall s':>7} "
          f"{'cpu s':>7} {'peak MB':>8}")
    for name, rs in runs.items():
        if not rs:
            continue
        med = {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "rss_mb")}
        r = rs[0]
        print(f"{name:6} {r['mb']:6.0f} {r['rows']:9d} {r['new']:9d} {r['unchanged']:9d} "
              f"{med['wall']:7.2f} {med['cpu']:7.2f} {med['rss_mb']:8.0f}   "
              + " ".join(f"{x['wall']:.1f}/{x['cpu']:.1f}/{x['rss_mb']:.0f}" for x in rs))


if __name__ == "__main__":
    main()
