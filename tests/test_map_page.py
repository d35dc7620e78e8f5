"""Map figures and the Bản đồ / Độ phủ pages in a real browser with no internet access."""
import json

import pandas as pd
import pytest
from conftest import page_errors, wait_for_app

from dashboard import store
from dashboard.output import maps


def test_classify_legend_is_vietnamese():
    values = pd.Series([0, 0, 1200.5, 3000, 4500, None])
    m = maps.Metric("x", "Số hộ", "integer", False)
    c = maps.classify(values, "equal_interval", 3, m)
    # 0 is a class of its own; equal interval over the other values 1200,5..4500
    assert c.bins == [pytest.approx(2300.33, abs=0.01), pytest.approx(3400.17, abs=0.01),
                      4500.0]
    assert c.order == ["0", "1.201", "3.000", "4.500", maps.NO_DATA]
    assert list(c.labels) == ["0", "0", "1.201", "3.000", "4.500", maps.NO_DATA]
    assert c.counts == {"0": 2, "1.201": 1, "3.000": 1, "4.500": 1, maps.NO_DATA: 1}
    pct = maps.classify(pd.Series([10.0, 20.0, 30.0, 40.0]), "quantiles", 2, maps.METRICS[
        "coverage_pct"])
    assert pct.order == ["10,0% – 20,0%", "30,0% – 40,0%"]
    jenks = maps.classify(pd.Series([1, 2, 3, 50, 51, 52.0]), "natural_breaks", 2)
    assert jenks.order == ["1 – 3", "50 – 52"]
    one = maps.classify(pd.Series([7.0, 7.0]), "quantiles", 5)
    assert one.order == ["7"]


def test_classes_keep_zero_and_no_data_apart():
    cov = maps.METRICS["coverage_pct"]
    # many zeros used to swallow the quantile bins: "0,0%" and "8,6% – 75,2%"
    values = pd.Series([0.0] * 6 + [8.6, 20.0, 35.0, 50.0, 62.0, 75.2] + [None])
    c = maps.classify(values, "quantiles", 5, cov)
    assert c.order[0] == "0,0%" and c.order[-1] == maps.NO_DATA
    assert len(c.order) == 1 + 5 + 1          # zero, five classes of the others, no data
    assert "8,6% – 75,2%" not in c.order
    assert c.colors["0,0%"] == maps.ZERO_COLORS[True] != c.colors[maps.NO_DATA]
    assert len(set(c.colors.values())) == len(c.order)     # every class its own colour
    # one class of positive values: clearly coloured, 0 % never drawn mid-green
    only_zero = maps.classify(pd.Series([0.0, 0.0, None]), "quantiles", 5, cov)
    assert only_zero.order == ["0,0%", maps.NO_DATA]
    assert only_zero.colors["0,0%"] == maps.ZERO_COLORS[True]
    one = maps.classify(pd.Series([0.0, 40.0, 40.0]), "quantiles", 5, cov)
    assert one.order == ["0,0%", "40,0%"]
    assert one.colors["40,0%"] != one.colors["0,0%"]
    # negative values: 0 is an ordinary value, not a class apart
    signed = maps.classify(pd.Series([-2.0, 0.0, 3.0]), "equal_interval", 3)
    assert "0" in signed.order and signed.order[0] == "-2"


def test_demo_layer_and_meeting_figure(demo_db):
    db = store.Database(demo_db, read_only=True)
    try:
        layer = maps.build_layer(db, "commune", "2025-06-30", None, "uncovered_households")
        assert len(layer.frame) == 99 and layer.polygons == 99
        assert layer.approximate and layer.no_data == 0 and layer.not_on_map == 0
        fig = maps.coverage_figure(db, "2025-06-30", None, "coverage_pct", with_models=True)
        assert fig.layout.map.style == "white-bg"
        kinds = {t.type for t in fig.data}
        assert kinds == {"choroplethmap", "scattermap"}
        assert "gần đúng" in fig.layout.annotations[0].text
        # nothing in the figure points outside (no tiles, no CDN)
        assert "http" not in json.dumps(fig.layout.map.to_plotly_json())
        one = maps.build_layer(db, "village", "2025-06-30", ["07228"], "coverage_pct")
        assert set(one.frame.commune_code) == {"07228"}
    finally:
        db.close()


def _canvas_pixels(page):
    """Non-white pixels drawn on the map canvas (the polygons)."""
    return page.evaluate("""() => {
      const c = document.querySelector('canvas.maplibregl-canvas');
      if (!c) return -1;
      const g = document.createElement('canvas'); g.width = c.width; g.height = c.height;
      const ctx = g.getContext('2d'); ctx.drawImage(c, 0, 0);
      const d = ctx.getImageData(0, 0, g.width, g.height).data; let n = 0;
      for (let i = 0; i < d.length; i += 16) if (d[i] < 240 || d[i+1] < 240 || d[i+2] < 240) n++;
      return n; }""")


@pytest.mark.browser
def test_map_page_offline(app_server, browser_page):
    page = browser_page
    page.goto(app_server + "/ban-do?xa=07228&chi_so=uncovered_households&mo_hinh=economy")
    page.wait_for_selector("h1:has-text('Bản đồ')", timeout=90_000)
    wait_for_app(page)
    page.wait_for_selector("canvas.maplibregl-canvas", timeout=30_000)
    page.wait_for_timeout(1500)
    assert page_errors(page) == []
    text = page.inner_text("[data-testid='stMain']")
    assert "Không có dữ liệu" in text and "Không có trên bản đồ" in text
    assert "Phường Đa Mai" in text
    assert "gần đúng" in text
    page.screenshot(path="/tmp/test_map_page.png")
    assert _canvas_pixels(page) > 1000                        # polygons are drawn
    # the only requests leaving localhost come from the app frame's icon, never the map
    assert not [u for u in page.external_requests if "tile" in u or "plot.ly" in u
                or "openmaptiles" in u or "cdn" in u]
    assert "xa=07228" in page.url


@pytest.mark.browser
def test_coverage_page(app_server, browser_page):
    page = browser_page
    page.goto(app_server + "/do-phu")
    page.wait_for_selector("h1:has-text('Độ phủ hộ gia đình')", timeout=90_000)
    wait_for_app(page)
    assert page_errors(page) == []
    page.get_by_role("tab", name="Kế hoạch bổ sung tổ").click()
    page.wait_for_timeout(800)
    assert "Số tổ cần thành lập thêm" in page.inner_text("[data-testid='stMain']")
