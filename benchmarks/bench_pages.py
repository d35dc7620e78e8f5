"""Page load times in a real browser at national scale.

Builds a national database (34 provinces, 3,321 communes, ~100k villages, ~250k cells, through
the ordinary import code; see bench_core.py), starts the app on it, and opens every page in
headless Chromium twice: the first load runs the named queries, the second is served from the
result cache. A load ends when Streamlit reports the script finished and every chart is drawn.

    python benchmarks/bench_pages.py [--villages 100000] [--cells 250000] [--out FILE]
"""
from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_core import national  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS, page_errors, start_app, wait_for_app  # noqa: E402

from dashboard import ingest, store  # noqa: E402
from dashboard.web import navigation  # noqa: E402


def build(path: Path, villages: int, cells: int) -> None:
    data = national(villages, cells)
    db = store.Database(path)
    with tempfile.TemporaryDirectory() as tmp:
        for name, frame in data.items():
            f = Path(tmp) / f"{name}.csv"
            frame.to_csv(f, index=False, encoding="utf-8")
            r = ingest.import_file(db, name, f)
            assert r.committed, r.summary_text()[:2000]
    db.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--villages", type=int, default=100_000)
    ap.add_argument("--cells", type=int, default=250_000)
    ap.add_argument("--out")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "national.duckdb"
        t = time.perf_counter()
        build(path, args.villages, args.cells)
        print(f"{'build national database':<40} {time.perf_counter() - t:8.1f} s", flush=True)
        proc, url = start_app(path)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                for _file, title, url_path in navigation.built():
                    times = []
                    for _ in range(2):
                        t = time.perf_counter()
                        page.goto(f"{url}/{url_path}")
                        wait_for_app(page, timeout=300_000)
                        times.append(time.perf_counter() - t)
                    errors = page_errors(page)
                    rows.append((title, times[0], times[1], "lỗi" if errors else "ok"))
                    print(f"{title:<40} {times[0]:8.1f} s {times[1]:8.1f} s "
                          f"{'ERROR ' + errors[0][:80] if errors else ''}", flush=True)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(10)
    if args.out:
        lines = [f"# Page loads at national scale — {dt.date.today().isoformat()}", "",
                 f"`python benchmarks/bench_pages.py --villages {args.villages} --cells "
                 f"{args.cells}`: 3,321 communes, {args.villages:,} villages, {args.cells:,} "
                 f"cells; headless Chromium, {platform.machine()}, 2 cores. Seconds until the "
                 "script finished and every chart was drawn (the wait itself adds ~1 s).", "",
                 "| page | first load | cached | status |", "|---|---:|---:|---|"]
        lines += [f"| {t} | {a:.1f} | {b:.1f} | {s} |" for t, a, b, s in rows]
        Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
