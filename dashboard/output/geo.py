"""Geometry for display: boundaries simplified once per import, and approximate polygons
when no boundary file was uploaded.

- `simplify_for_display(geoms)` simplifies (topology kept) and rounds to 1e-5° — the
  `display_geojson` of each stored boundary; the full geometry stays in `geometry_wkb`.
- `approximate_polygons(db)` builds approximate polygons: Voronoi cells of the official
  commune centroids clipped to an outline around them, and, inside each commune,
  approximate village cells; all marked `approximate` and labelled so on the map. They are
  stored as one batch (dashboard.store.boundaries), undone like any other.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping

from dashboard.store.boundaries import store_boundaries

SOURCE_APPROXIMATE = "approximate"
DISPLAY_DECIMALS = 5


def polygonal(geom):
    """Polygonal part of a geometry (Polygon / MultiPolygon), or None."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    if geom.geom_type == "GeometryCollection":
        polys = []
        for g in geom.geoms:
            p = polygonal(g)
            if p is not None:
                polys.extend(p.geoms if p.geom_type == "MultiPolygon" else [p])
        if not polys:
            return None
        return polys[0] if len(polys) == 1 else MultiPolygon(polys)
    return None


# -- simplification ---------------------------------------------------------------------------

def display_tolerance(geoms) -> float:
    """Simplification tolerance in degrees: about 1/150 of the typical feature's size, so a
    commune layer uses ~0.0004° (~40 m) and a village layer ~0.0001°."""
    areas = shapely.area(np.asarray(geoms, dtype=object))
    areas = areas[areas > 0]
    if areas.size == 0:
        return 1e-4
    size = float(np.sqrt(np.median(areas)))
    return float(min(max(size / 150.0, 2e-5), 5e-3))


def simplify_for_display(geoms, tolerance: float | None = None) -> list[str]:
    """GeoJSON text of each geometry, simplified (topology kept) and rounded to 1e-5°."""
    arr = np.asarray(geoms, dtype=object)
    tol = display_tolerance(arr) if tolerance is None else tolerance
    simple = shapely.simplify(arr, tol, preserve_topology=True)
    simple = shapely.set_precision(simple, 10 ** -DISPLAY_DECIMALS)
    out = []
    for s, full in zip(simple, arr):
        if s is None or s.is_empty:       # a sliver smaller than the grid: keep it visible
            s = full
        out.append(json.dumps(_round_mapping(mapping(s)), separators=(",", ":")))
    return out


def _round_mapping(m: dict) -> dict:
    def r(c):
        if isinstance(c, (list, tuple)) and c and isinstance(c[0], (int, float)):
            return [round(float(x), DISPLAY_DECIMALS) for x in c[:2]]
        return [r(x) for x in c]
    return {"type": m["type"], "coordinates": r(m["coordinates"])}


# -- approximate polygons ---------------------------------------------------------------------

def _voronoi_cells(points: np.ndarray, clip) -> list:
    """Voronoi cell of each point (same order), clipped to `clip`."""
    mp = shapely.multipoints(points)
    cells = shapely.voronoi_polygons(mp, extend_to=clip.envelope.buffer(1.0))
    polys = list(cells.geoms)
    tree = shapely.STRtree(polys)
    out = [None] * len(points)
    for i, pt in enumerate(shapely.points(points)):
        for j in tree.query(pt, predicate="intersects"):
            out[i] = polys[j]
            break
    return [None if c is None else polygonal(shapely.make_valid(c.intersection(clip)))
            for c in out]


def commune_region(points: np.ndarray) -> Polygon:
    """A plausible outline around centroids: their hull grown by about half the typical
    distance between neighbours, intersected with discs around each point."""
    if len(points) == 1:
        return shapely.Point(points[0]).buffer(0.03)
    pts = shapely.points(points)
    d = []
    tree = shapely.STRtree(pts)
    for _i, p in enumerate(pts):
        idx = tree.query_nearest(p, exclusive=True)
        d.append(shapely.distance(p, pts[idx[0]]))
    spacing = float(np.median(d)) or 0.02
    hull = shapely.MultiPoint(points).convex_hull.buffer(spacing * 0.6)
    discs = shapely.union_all(shapely.buffer(pts, spacing * 1.3))
    return polygonal(hull.intersection(discs))


def _points_inside(poly, n: int, seed: int) -> np.ndarray:
    """n well-spread points inside poly: random start, then Lloyd relaxation (deterministic)."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = poly.bounds
    pts: list[tuple[float, float]] = []
    tries = 0
    while len(pts) < max(n * 4, 40) and tries < 200:
        cand = rng.uniform((minx, miny), (maxx, maxy), size=(max(n * 8, 64), 2))
        inside = shapely.contains_xy(poly, cand[:, 0], cand[:, 1])
        pts.extend(map(tuple, cand[inside]))
        tries += 1
    sample = np.asarray(pts)
    if len(sample) < n:
        c = poly.representative_point()
        sample = np.vstack([sample.reshape(-1, 2), np.tile([c.x, c.y], (n, 1))
                            + rng.normal(0, 1e-4, (n, 2))])
    seeds = sample[:n].copy()
    for _ in range(8):                         # k-means on the sample = Lloyd relaxation
        dist = ((sample[:, None, :] - seeds[None, :, :]) ** 2).sum(-1)
        lab = dist.argmin(1)
        for k in range(n):
            m = sample[lab == k]
            if len(m):
                seeds[k] = m.mean(0)
    return seeds


def approximate_village_cells(commune_poly, n: int, seed: int) -> list:
    """n approximate village polygons tiling a commune polygon."""
    if n <= 0 or commune_poly is None:
        return []
    if n == 1:
        return [commune_poly]
    pts = _points_inside(commune_poly, n, seed)
    # west-to-east, north-to-south so neighbouring codes sit side by side
    order = np.lexsort((pts[:, 0], -np.round(pts[:, 1], 2)))
    pts = pts[order]
    cells = _voronoi_cells(pts, commune_poly)
    return [c if c is not None else commune_poly for c in cells]


def approximate_polygons(db, villages: bool = True, replace_uploaded: bool = False) -> dict:
    """Approximate polygons for the units' communes (Voronoi cells of the official centroids,
    clipped to an outline around them) and, when `villages`, for their villages (cells of
    spread points inside the commune). Never replaces uploaded boundaries unless asked.
    Stored as one batch; returns {'communes': n, 'villages': m, 'batch_id': id or None}."""
    communes = db.df(
        "SELECT u.unit_code, r.longitude, r.latitude FROM units u "
        "JOIN ref_communes r ON r.commune_code = u.unit_code "
        "WHERE u.level = 'commune' AND r.longitude IS NOT NULL ORDER BY u.unit_code")
    result = {"communes": 0, "villages": 0, "batch_id": None}
    if communes.empty:
        return result
    keep = set() if replace_uploaded else set(db.df(
        "SELECT unit_code FROM boundaries WHERE NOT coalesce(approximate, FALSE)")["unit_code"])
    pts = communes[["longitude", "latitude"]].to_numpy(float)
    region = commune_region(pts)
    cells = _voronoi_cells(pts, region)
    commune_geom = dict(zip(communes.unit_code, cells))
    if keep:   # a real polygon, where uploaded, is better than a Voronoi cell
        real = db.df("SELECT unit_code, geometry_wkb FROM boundaries WHERE "
                     "NOT coalesce(approximate, FALSE)")
        for code, wkb in zip(real.unit_code, real.geometry_wkb):
            if code in commune_geom:
                commune_geom[code] = shapely.from_wkb(bytes(wkb))
    rows = [(code, g) for code, g in commune_geom.items() if g is not None and code not in keep]
    result["communes"] = len(rows)
    if villages:
        vil = db.df("SELECT unit_code, parent_code FROM units WHERE level = 'village' "
                    "ORDER BY parent_code, unit_code")
        for parent, group in vil.groupby("parent_code", sort=True):
            poly = commune_geom.get(parent)
            if poly is None:
                continue
            seed = int(hashlib.sha256(str(parent).encode()).hexdigest()[:8], 16)
            vcells = approximate_village_cells(poly, len(group), seed)
            for code, g in zip(group.unit_code, vcells):
                if code not in keep and g is not None:
                    rows.append((code, g))
                    result["villages"] += 1
    if not rows:
        return result
    geoms = [g for _, g in rows]
    n_communes = result["communes"]
    display = (simplify_for_display(geoms[:n_communes])
               + simplify_for_display(geoms[n_communes:]))
    frame = pd.DataFrame({
        "unit_code": [c for c, _ in rows],
        "geometry_wkb": shapely.to_wkb(np.asarray(geoms, dtype=object)),
        "display_geojson": display,
        "approximate": True,
        "source": SOURCE_APPROXIMATE,
    })
    result["batch_id"], _, _ = store_boundaries(
        db, frame, file_name=None, sha256=None, mode="approximate",
        note="Ranh giới gần đúng dựng từ tâm xã chính thức (Voronoi), không phải bản đồ địa chính")
    return result

