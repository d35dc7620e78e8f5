"""Benchmark of the integrity check every write runs before COMMIT, and of undo, at national
scale (3,321 communes, ~100k villages, ~250k cells, ~1.2M indicator rows, built in SQL).

    python benchmarks/bench_integrity.py [--villages 100000] [--cells 250000]
                                         [--indicators 1200000] [--out FILE]

Prints one line per measured step; --out writes the Markdown results table.
"""
from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import ingest, store  # noqa: E402
from dashboard.store import history, integrity, reference  # noqa: E402


def build(db, villages: int, cells: int, indicators: int) -> None:
    ref = reference.tables()
    with db.transaction() as cur:
        cur.register("_p", ref["ref_provinces"])
        cur.register("_c", ref["ref_communes"])
        cur.execute("INSERT INTO units SELECT province_code, province_name, 'province', NULL, "
                    "NULL, NULL FROM _p")
        cur.execute("INSERT INTO units SELECT commune_code, commune_name, 'commune', "
                    "province_code, NULL, NULL FROM _c")
        cur.execute(f"""
            INSERT INTO units
            SELECT c.commune_code || '-' || lpad(i::VARCHAR, 6, '0'), 'Thôn ' || i, 'village',
                   c.commune_code, 60 + i % 390, NULL
            FROM range({villages}) t(i)
            JOIN (SELECT commune_code, row_number() OVER (ORDER BY commune_code) - 1 AS n
                  FROM _c) c ON c.n = i % (SELECT count(*) FROM _c)""")
        cur.execute(f"""
            INSERT INTO cells
            SELECT 'T' || i, 'Tổ ' || i, NULL, v.unit_code, CASE WHEN i % 9 = 0 THEN 'pilot'
                   ELSE 'rollout' END, DATE '2020-01-01' + (i % 1500)::INT, NULL, 5 + i % 4,
                   30 + i % 20, NULL
            FROM range({cells}) t(i)
            JOIN (SELECT unit_code, row_number() OVER (ORDER BY unit_code) - 1 AS n FROM units
                  WHERE level = 'village') v ON v.n = i % {villages}""")
        cur.execute(f"""
            INSERT INTO indicators
            SELECT c.commune_code, strftime(DATE '2015-01-01' + INTERVAL (i // 3321 % 120)
                   MONTH, '%Y-%m'), 'ind' || (i // (3321 * 120)), (i % 17)::DOUBLE
            FROM range({indicators}) t(i)
            JOIN (SELECT commune_code, row_number() OVER (ORDER BY commune_code) - 1 AS n
                  FROM _c) c ON c.n = i % 3321""")
        cur.unregister("_p")
        cur.unregister("_c")


def timed(label: str, fn, rows: list):
    t = time.perf_counter()
    out = fn()
    ms = (time.perf_counter() - t) * 1000
    rows.append((label, ms))
    print(f"{label}: {ms:,.0f} ms")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--villages", type=int, default=100_000)
    ap.add_argument("--cells", type=int, default=250_000)
    ap.add_argument("--indicators", type=int, default=1_200_000)
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = store.Database(Path(tmp) / "n.duckdb")
        timed("build national tables (one transaction, integrity checked)",
              lambda: build(db, args.villages, args.cells, args.indicators), rows)
        counts = {t: db.table_count(t) for t in ("units", "cells", "indicators")}
        print(counts)
        found = timed("integrity check, whole database", lambda: integrity.verify(db), rows)
        assert found == [], found
        code = db.scalar("SELECT min(unit_code) FROM units WHERE level = 'commune'")
        data = ("Mã đơn vị,Kỳ,Chỉ số,Giá trị\n" + "".join(
            f"{code},2030-{m:02d},x,{m}\n" for m in range(1, 13))).encode()
        r = timed("import 12 indicator rows (check + commit with integrity)",
                  lambda: ingest.import_bytes(db, "indicators", data, "i.csv"), rows)
        assert r.committed, r.summary_text()
        timed("dependents of that batch", lambda: history.dependents(db, r.batch_id), rows)
        timed("rollback of that batch", lambda: history.rollback(db, r.batch_id), rows)
        db.close()
    if args.out:
        lines = ["# Integrity check and undo at national scale", "",
                 f"{counts['units']:,} units, {counts['cells']:,} cells, "
                 f"{counts['indicators']:,} indicator rows; {platform.processor() or 'cpu'}, "
                 "2 cores shared. `python benchmarks/bench_integrity.py`", "",
                 "| step | ms |", "|---|---|"]
        lines += [f"| {label} | {ms:,.0f} |" for label, ms in rows]
        Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
