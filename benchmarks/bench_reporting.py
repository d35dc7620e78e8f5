"""Benchmark of the reporting cycle at national scale (synthetic).

    python benchmarks/bench_reporting.py [--db /tmp/bench_reporting.duckdb] [--months 120]

Builds 34 provinces and 3,321 communes, 3 indicators per commune and month for `months` months
(2 % of rows missing; about 1.2M rows at 120 months), each month's rows written by one batch
recorded in batch_changes, then times the reporting queries and the lock on an approved month.
Prints one table; copy it into benchmarks/RESULTS-reporting.md.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from dashboard import ingest, store
from dashboard.reporting import approvals
from dashboard.reporting import completeness as rc


def build(path: Path, months: int) -> store.Database:
    for p in (path, Path(str(path) + ".wal")):
        p.unlink(missing_ok=True)
    db = store.Database(path)
    with db.transaction() as cur:
        cur.execute("""INSERT INTO units (unit_code, unit_name, level, parent_code, households)
            SELECT lpad(p::VARCHAR, 2, '0'), 'Tỉnh ' || p, 'province', NULL, NULL
            FROM range(1, 35) t(p)""")
        cur.execute("""INSERT INTO units (unit_code, unit_name, level, parent_code, households)
            SELECT lpad(c::VARCHAR, 5, '0'), 'Xã ' || c, 'commune',
                   lpad((c % 34 + 1)::VARCHAR, 2, '0'), 1000 FROM range(1, 3322) t(c)""")
        cur.execute(f"""CREATE TEMP TABLE m AS SELECT i, strftime(DATE '2026-10-01'
            - INTERVAL ({months - 1} - i) MONTH, '%Y-%m') AS period FROM range({months}) t(i)""")
        cur.execute("""INSERT INTO batches SELECT 1000 + i, (strptime(period || '-03', '%Y-%m-%d')
            + INTERVAL 1 MONTH), 'indicators', 'x.csv', NULL, 0, 0, 0, 0, 'committed',
            'all_or_nothing', NULL, NULL, NULL FROM m""")
        cur.execute("""INSERT INTO indicators SELECT u.unit_code, m.period, v.ind, 1.0
            FROM units u, m, (VALUES ('a'), ('b'), ('c')) v(ind)
            WHERE u.level = 'commune' AND hash(u.unit_code || m.period || v.ind) % 50 <> 0""")
        cur.execute("""INSERT INTO batch_changes SELECT 1000 + m.i, 'indicators',
            to_json([i.unit_code, i.period, i.indicator])::VARCHAR, NULL, '{}'
            FROM indicators i JOIN m USING (period)""")
    return db


def timed(fn, repeat: int = 3) -> float:
    fn()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="/tmp/bench_reporting.duckdb")
    ap.add_argument("--months", type=int, default=120)
    args = ap.parse_args()
    db = build(Path(args.db), args.months)
    rows = db.table_count("indicators")
    print(f"| measure ({rows:,} indicator rows, 3,321 communes) | seconds (best of 3) |")
    print("|---|---|")
    for name, fn in [
            ("reporting_completeness, one month", lambda: rc.status(db, "2026-10")),
            ("reporting_rate_by_month, 12 months", lambda: rc.by_month(db, "2026-10")),
            ("reporting_rate_by_commune, 12 months", lambda: rc.by_commune(db, "2026-10")),
            ("registry_last_update", lambda: rc.registry_updates(db)),
            ("approval footer text", lambda: approvals.footer_text(db))]:
        print(f"| {name} | {timed(fn):.3f} |")
    approvals.approve(db, "2026-10", "01")

    def refused():
        try:
            ingest.import_bytes(db, "indicators", b"unit_code,period,indicator,value\n"
                                b"00034,2026-10,a,5\n", "x.csv")
        except approvals.PeriodLocked:
            return
        raise AssertionError("the locked month was written")
    print(f"| upload refused by the lock (1 row) | {timed(refused):.3f} |")
    n = iter(range(10_000))

    def allowed():
        data = f"unit_code,period,indicator,value\n00035,2026-10,a,{next(n)}\n".encode()
        assert ingest.import_bytes(db, "indicators", data, "y.csv").committed
    print(f"| upload into an unlocked month (1 row) | {timed(allowed):.3f} |")
    db.close()


if __name__ == "__main__":
    main()
