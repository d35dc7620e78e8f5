"""The national benchmark runs end to end at a tiny scale, so it never rots: every import,
every query next to its pandas answer (checked equal), every page's runs in AppTest and
concurrent sessions against a real server."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


@pytest.mark.browser
def test_benchmark_at_tiny_scale(tmp_path, browser):
    import bench_national

    out = tmp_path / "RESULTS.md"
    res = bench_national.main(["--scale", "0.001", "--repeat", "1", "--sessions", "2",
                               "--big-file", "--big-mb", "0.2",
                               "--out", str(out), "--workdir", str(tmp_path)],
                               browser=browser)
    assert [name for name, _ in res["imports"]][:4] == ["units", "cells", "models",
                                                        "indicators"]
    assert all(r["rows"] > 0 for _, r in res["imports"])
    assert res["imports"][4][1]["unchanged"] == res["imports"][1][1]["rows"]
    names = {r["query"].split()[0] for r in res["queries"]}
    assert {"kpi_overview", "coverage_by_unit", "pilot_vs_rollout", "cells_over_time"} <= names
    assert all("pandas" in r for r in res["queries"] if r["query"].split()[0] in
               bench_national.PANDAS)
    assert [r["page"] for r in res["pages"]] == [
        "Tổng quan", "Bản đồ", "Độ phủ hộ gia đình", "Thí điểm và nhân rộng", "Mô hình",
        "Hồ sơ xã", "Trình chiếu", "Tình hình báo cáo", "Dữ liệu", "Truy vấn SQL", "Hướng dẫn"]
    # every page but the guide has its interactions, each timed on a miss and warm
    assert all(r["actions"] for r in res["pages"] if r["page"] != "Hướng dẫn")
    assert all(a["miss"] > 0 and a["warm"] > 0 for r in res["pages"] for a in r["actions"])
    assert res["sessions"]["all_mb"] > 0
    # the big file went into a copy: the national data set's pages are timed without it
    national_rows = res["imports"][3][1]["rows"]
    big = res["imports"][5][1]
    assert res["imports"][5][0] == "indicators, 0.2 MB file (into a copy)"
    assert res["long_indicator_rows"] == national_rows + big["new"] > national_rows
    assert [r["page"] for r in res["long_pages"]] == [
        "Thí điểm và nhân rộng", "Trình chiếu", "Dữ liệu"]
    text = out.read_text(encoding="utf-8")
    assert "## Imports" in text and "## Pages" in text and "## Concurrent sessions" in text
    assert "## Pages on a long history" in text and "--big-mb 0.2" in text
