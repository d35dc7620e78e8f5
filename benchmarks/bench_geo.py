"""Benchmark: simplify + draw time for ~1,500 village polygons and a national 3,321-commune
layer synthesised from the reference centroids (no boundary file needed).

    python benchmarks/bench_geo.py            # geometry + figure timings
    python benchmarks/bench_geo.py --browser  # also time the first draw in Chromium

Results are written up in benchmarks/RESULTS-geo.md.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import json
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from dashboard.output import geo, maps
from dashboard.store import reference


def timed(label, fn, *a, **kw):
    t = time.perf_counter()
    out = fn(*a, **kw)
    dt = time.perf_counter() - t
    print(f"{label:<48} {dt:8.3f} s")
    return out, dt


def commune_cells(province: str | None):
    ref = reference.tables()["ref_communes"]
    if province:
        ref = ref[ref.province_code == province]
    ref = ref.dropna(subset=["longitude", "latitude"]).sort_values("commune_code")
    pts = ref[["longitude", "latitude"]].to_numpy(float)
    if province is None:
        # one outline per province, so the sea between islands and provinces stays empty
        cells = []
        for _, grp in ref.groupby("province_code", sort=False):
            p = grp[["longitude", "latitude"]].to_numpy(float)
            cells += list(zip(grp.commune_code, geo._voronoi_cells(p, geo.commune_region(p))))
        order = dict(cells)
        return ref, [order[c] for c in ref.commune_code]
    return ref, geo._voronoi_cells(pts, geo.commune_region(pts))


def layer_for(codes, geoms_json, level):
    n = len(codes)
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({
        "unit_code": codes, "unit_name": [f"Đơn vị {c}" for c in codes],
        "households": rng.integers(100, 5000, n), "cells": rng.integers(0, 40, n),
        "members": rng.integers(0, 300, n), "uncovered_households": rng.integers(0, 3000, n),
        "coverage_pct": rng.uniform(0, 100, n), "models": rng.integers(0, 20, n),
        "latitude": np.nan, "longitude": np.nan, "drawn_as": "polygon"})
    frame["value"] = frame["coverage_pct"]
    features = [{"type": "Feature", "id": c, "properties": {"unit_code": c},
                 "geometry": json.loads(g)} for c, g in zip(codes, geoms_json)]
    m = maps.METRICS["coverage_pct"]
    layer = maps.MapLayer(level=level, metric=m, frame=frame,
                          geojson={"type": "FeatureCollection", "features": features},
                          approximate=True)
    layer.classes = maps.classify(frame["value"], "quantiles", 5, m)
    frame["class"] = layer.classes.labels.values
    frame["hover"] = [maps._hover(r, m, level) for r in frame.itertuples(index=False)]
    return layer


def draw_in_browser(fig, label):
    from playwright.sync_api import sync_playwright
    folder = Path(tempfile.mkdtemp())
    (folder / "m.html").write_text(fig.to_html(include_plotlyjs=True, full_html=True),
                                   encoding="utf-8")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass
    handler = functools.partial(Quiet, directory=str(folder))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium",
                                  args=["--headless", "--no-sandbox", "--disable-gpu",
                                        "--disable-background-networking"])
            page = b.new_page(viewport={"width": 1200, "height": 800})
            t = time.perf_counter()
            page.goto(f"http://127.0.0.1:{srv.server_port}/m.html")
            page.wait_for_function(
                "() => { const gd = document.querySelector('.js-plotly-plot');"
                " const m = gd && gd._fullLayout && gd._fullLayout.map;"
                " return m && m._subplot && m._subplot.map.loaded(); }", timeout=120_000)
            dt = time.perf_counter() - t
            page.screenshot(path=f"/tmp/bench_geo_{label}.png")
            b.close()
        print(f"{'browser: load + first draw (' + label + ')':<48} {dt:8.3f} s")
        return dt
    finally:
        srv.shutdown()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--browser", action="store_true")
    ap.add_argument("--villages-per-commune", type=int, default=15)
    args = ap.parse_args()
    results = {}

    print("== ~1,500 villages: Bắc Ninh's 99 communes × 15 approximate villages")
    ref, cells = commune_cells("24")
    vil_codes, vil_geoms = [], []

    def make_villages():
        for code, poly in zip(ref.commune_code, cells):
            vs = geo.approximate_village_cells(poly, args.villages_per_commune, int(code))
            vil_codes.extend(f"{code}-{i + 1:02d}" for i in range(len(vs)))
            vil_geoms.extend(vs)
    _, results["villages_build"] = timed("build village polygons (Voronoi + Lloyd)",
                                         make_villages)
    # a real village layer has far more vertices than Voronoi cells: densify to ~400 each
    dense = [shapely.segmentize(g, max(np.sqrt(g.area) / 100, 1e-5)) for g in vil_geoms]
    nv_full = int(sum(shapely.get_num_coordinates(g) for g in dense))
    disp, results["villages_simplify"] = timed(f"simplify {len(dense)} polygons for display",
                                               geo.simplify_for_display, dense)
    nv_disp = sum(shapely.get_num_coordinates(shapely.from_geojson(g)) for g in disp)
    print(f"   vertices {nv_full:,} -> {nv_disp:,}; display GeoJSON "
          f"{sum(map(len, disp)) / 1e6:.2f} MB")
    layer = layer_for(vil_codes, disp, "village")
    fig, results["villages_figure"] = timed("build plotly figure", maps.layer_figure, layer)
    js, results["villages_json"] = timed("serialise figure to JSON", fig.to_json)
    print(f"   figure JSON {len(js) / 1e6:.2f} MB")
    if args.browser:
        results["villages_browser"] = draw_in_browser(fig, "villages")

    print("== national layer: 3,321 communes from reference centroids")
    (nref, ncells), results["national_build"] = timed("Voronoi cells per province",
                                                      commune_cells, None)
    ok = [(c, g) for c, g in zip(nref.commune_code, ncells) if g is not None]
    dense = [shapely.segmentize(g, max(np.sqrt(g.area) / 60, 1e-5)) for _, g in ok]
    nv_full = int(sum(shapely.get_num_coordinates(g) for g in dense))
    disp, results["national_simplify"] = timed(f"simplify {len(dense)} polygons for display",
                                               geo.simplify_for_display, dense)
    nv_disp = sum(shapely.get_num_coordinates(shapely.from_geojson(g)) for g in disp)
    print(f"   vertices {nv_full:,} -> {nv_disp:,}; display GeoJSON "
          f"{sum(map(len, disp)) / 1e6:.2f} MB")
    layer = layer_for([c for c, _ in ok], disp, "commune")
    fig, results["national_figure"] = timed("build plotly figure", maps.layer_figure, layer)
    js, results["national_json"] = timed("serialise figure to JSON", fig.to_json)
    print(f"   figure JSON {len(js) / 1e6:.2f} MB")
    if args.browser:
        results["national_browser"] = draw_in_browser(fig, "national")
    return results


if __name__ == "__main__":
    main()
