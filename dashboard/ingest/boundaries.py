"""Boundaries: read a boundary file, repair, reproject, match unit codes, simplify, store.

- `read_boundary_file(path)` reads GeoJSON, GeoPackage or a zipped Shapefile (decided from the
  file's first bytes, not its name) into a GeoDataFrame in EPSG:4326; any declared CRS is
  reprojected; a file without a CRS is accepted only when its coordinates are plainly degrees.
- `repair(gdf)` makes every geometry valid with shapely `make_valid`, keeps only polygonal parts
  (MultiPolygons and holes are kept as they are) and counts what it repaired.
- `detect_code_property(gdf, units)` finds the feature property whose values match unit codes
  (zero-padded strings or integers both match: "07210" == 7210).
- `import_boundaries(db, path, code_property=None, dry_run=False)` runs the whole path and
  writes the `boundaries` table in ONE transaction with a batch row in `batches` (undo data in
  `batch_changes`), or nothing at all when the file has errors.
- `approximate_polygons(db)` builds approximate polygons when no file was uploaded: Voronoi
  cells of the official commune centroids clipped to a buffer around them, and, inside each
  commune, approximate village cells; all marked `approximate` and labelled so on the map.

Geometry is simplified ONCE per import for display (`display_geojson`, coordinates rounded to
1e-5°) and the full geometry is kept in `geometry_wkb`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping

from dashboard.access.safe_text import scrub_paths
from dashboard.store.database import to_json_row

WGS84 = "EPSG:4326"
DATASET = "boundaries"
SOURCE_APPROXIMATE = "approximate"
# Vietnam with a margin: coordinates outside this box mean a wrong or missing CRS.
VN_BOUNDS = (100.0, 5.0, 120.0, 25.0)
DISPLAY_DECIMALS = 5

_INT_LIKE = re.compile(r"^\s*0*(\d+)(\.0+)?\s*$")


class BoundaryError(Exception):
    """A boundary file that cannot be used; the message is Vietnamese and says why."""


@dataclass
class BoundaryReport:
    """What an import found and did. Messages are Vietnamese."""
    file_name: str = ""
    features: int = 0
    code_property: str | None = None
    candidates: dict[str, int] = field(default_factory=dict)   # property -> matching features
    properties: list[str] = field(default_factory=list)        # every property of the file
    matched: list[str] = field(default_factory=list)           # unit codes with a feature
    unmatched_features: list[dict] = field(default_factory=list)  # {row, value, name}
    units_without_feature: list[dict] = field(default_factory=list)  # {unit_code, unit_name}
    repaired: int = 0
    dropped_parts: int = 0
    merged_duplicates: int = 0
    source_crs: str | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False
    batch_id: int | None = None
    rows_new: int = 0
    rows_updated: int = 0
    needs_code_property: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def committed(self) -> bool:
        return self.batch_id is not None

    def messages(self) -> list[str]:
        out = list(self.errors)
        if self.code_property:
            out.append(f"Cột mã đơn vị: «{self.code_property}».")
        if self.source_crs:
            out.append(f"Hệ tọa độ của tệp: {self.source_crs} (đã chuyển sang EPSG:4326).")
        out.append(f"{self.features} đối tượng trong tệp; {len(self.matched)} khớp với đơn vị.")
        if self.repaired:
            out.append(f"Đã sửa {self.repaired} hình học không hợp lệ.")
        if self.merged_duplicates:
            out.append(f"Đã gộp {self.merged_duplicates} đối tượng trùng mã.")
        if self.unmatched_features:
            shown = ", ".join(str(f["value"]) for f in self.unmatched_features[:10])
            more = "…" if len(self.unmatched_features) > 10 else ""
            out.append(f"{len(self.unmatched_features)} đối tượng không khớp đơn vị nào "
                       f"(không được lưu): {shown}{more}.")
        if self.units_without_feature:
            shown = ", ".join(f"{u['unit_code']} {u['unit_name']}"
                              for u in self.units_without_feature[:10])
            more = "…" if len(self.units_without_feature) > 10 else ""
            out.append(f"{len(self.units_without_feature)} đơn vị chưa có ranh giới: "
                       f"{shown}{more}.")
        out += self.notes
        if self.committed:
            out.append(f"Đã lưu: {self.rows_new} ranh giới mới, {self.rows_updated} cập nhật "
                       f"(lô {self.batch_id}).")
        elif self.dry_run and self.ok:
            out.append("Chạy thử: chưa ghi gì vào cơ sở dữ liệu.")
        elif not self.ok:
            out.append("Không ghi gì vào cơ sở dữ liệu.")
        return out

    def summary_text(self) -> str:
        head = f"Ranh giới — {self.file_name}" + (" (chạy thử)" if self.dry_run else "")
        return "\n".join([head] + [f"  {m}" for m in self.messages()])

    def as_dict(self) -> dict:
        return {"file_name": self.file_name, "features": self.features,
                "code_property": self.code_property, "candidates": self.candidates,
                "properties": self.properties,
                "matched": len(self.matched), "unmatched_features": self.unmatched_features,
                "units_without_feature": self.units_without_feature,
                "repaired": self.repaired, "errors": self.errors, "ok": self.ok,
                "dry_run": self.dry_run, "batch_id": self.batch_id,
                "rows_new": self.rows_new, "rows_updated": self.rows_updated,
                "messages": self.messages()}


# -- reading ---------------------------------------------------------------------------------

def _sniff(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    if data.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return "geojson"
    return "unknown"


def _read_zip(path: Path) -> gpd.GeoDataFrame:
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if not n.startswith("__MACOSX/")]
    shps = [n for n in names if n.lower().endswith(".shp")]
    inner = [n for n in names if n.lower().endswith((".geojson", ".json", ".gpkg"))]
    if len(shps) > 1:
        raise BoundaryError("Tệp nén có nhiều lớp Shapefile (" + ", ".join(shps)
                            + "); hãy nén riêng từng lớp.")
    target = shps[0] if shps else (inner[0] if inner else None)
    if target is None:
        raise BoundaryError("Tệp nén không chứa Shapefile (.shp), GeoJSON hay GeoPackage.")
    if target.lower().endswith(".shp"):
        stem = target[:-4]
        have = {n.lower() for n in names}
        missing = [ext for ext in (".shx", ".dbf") if (stem + ext).lower() not in have]
        if missing:
            raise BoundaryError("Shapefile thiếu tệp đi kèm: " + ", ".join(missing) + ".")
    return gpd.read_file(f"/vsizip/{path}/{target}", engine="pyogrio")


def read_boundary_file(path: str | Path, data: bytes | None = None) -> tuple[gpd.GeoDataFrame, str | None]:
    """Read a boundary file -> (GeoDataFrame in EPSG:4326, source CRS text or None).

    `data` may hold the file's bytes (a browser upload); `path` then only names it.
    """
    path = Path(path)
    tmp = None
    try:
        if data is not None:
            tmp = tempfile.NamedTemporaryFile(suffix=path.suffix or ".bin", delete=False)
            tmp.write(data)
            tmp.close()
            real = Path(tmp.name)
        else:
            if not path.exists():
                raise BoundaryError(f"Không tìm thấy tệp {path}.")
            real = path
            data = real.read_bytes()[:8192]
        kind = _sniff(data[:8192])
        try:
            if kind == "zip":
                gdf = _read_zip(real)
            elif kind in ("gpkg", "geojson"):
                gdf = gpd.read_file(real, engine="pyogrio")
            else:
                raise BoundaryError("Không nhận ra định dạng tệp; dùng GeoJSON, GeoPackage "
                                    "(.gpkg) hoặc Shapefile nén (.zip).")
        except BoundaryError:
            raise
        except Exception as exc:  # pyogrio / GDAL errors
            raise BoundaryError("Không đọc được tệp ranh giới: " + scrub_paths(exc)) from exc
    finally:
        if tmp is not None:
            Path(tmp.name).unlink(missing_ok=True)
    if gdf.empty:
        raise BoundaryError("Tệp ranh giới không có đối tượng nào.")
    source_crs = None
    if gdf.crs is None:
        minx, miny, maxx, maxy = gdf.total_bounds
        if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
            gdf = gdf.set_crs(WGS84)
        else:
            raise BoundaryError("Tệp không khai báo hệ tọa độ và tọa độ không phải độ kinh/vĩ; "
                                "hãy gửi kèm tệp .prj hoặc xuất lại theo EPSG:4326.")
    elif not gdf.crs.equals(WGS84) and gdf.crs.to_epsg() != 4326 and \
            "CRS84" not in gdf.crs.to_string():
        source_crs = gdf.crs.to_string()
        gdf = gdf.to_crs(WGS84)
    else:
        gdf = gdf.set_crs(WGS84, allow_override=True)
    return gdf, source_crs


# -- repairing -------------------------------------------------------------------------------

def _polygonal(geom):
    """Polygonal part of a geometry (Polygon / MultiPolygon), or None."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    if geom.geom_type == "GeometryCollection":
        polys = []
        for g in geom.geoms:
            p = _polygonal(g)
            if p is not None:
                polys.extend(p.geoms if p.geom_type == "MultiPolygon" else [p])
        if not polys:
            return None
        return polys[0] if len(polys) == 1 else MultiPolygon(polys)
    return None


def repair(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int, int]:
    """Valid, 2-D, polygonal geometries -> (gdf, repaired count, features left without area)."""
    geoms = shapely.force_2d(np.asarray(gdf.geometry.values, dtype=object))
    valid = shapely.is_valid(geoms)
    repaired = int((~valid & ~shapely.is_missing(geoms)).sum())
    fixed = np.where(valid, geoms, shapely.make_valid(geoms))
    out = [_polygonal(g) for g in fixed]
    empty = sum(1 for g in out if g is None)
    gdf = gdf.copy()
    gdf["geometry"] = gpd.GeoSeries(out, index=gdf.index, crs=gdf.crs)
    return gdf, repaired, empty


# -- codes ----------------------------------------------------------------------------------

def code_key(value) -> str | None:
    """Normalised form of a code: integers and zero-padded strings compare equal."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
    text = str(value).strip()
    if not text:
        return None
    m = _INT_LIKE.match(text)
    if m:
        return str(int(m.group(1)))
    return text.casefold()


def _unit_lookup(units: pd.DataFrame) -> dict[str, list[str]]:
    lookup: dict[str, list[str]] = {}
    for code in units["unit_code"].astype(str):
        lookup.setdefault(code_key(code), []).append(code)
    return lookup


def detect_code_property(gdf: gpd.GeoDataFrame, units: pd.DataFrame) -> tuple[str | None, dict[str, int]]:
    """The property whose values match the most unit codes (None when none matches)."""
    lookup = _unit_lookup(units)
    counts: dict[str, int] = {}
    for col in gdf.columns:
        if col == gdf.geometry.name:
            continue
        keys = gdf[col].map(code_key)
        n = int(keys.map(lambda k: k in lookup).sum())
        if n:
            counts[str(col)] = n
    if not counts:
        return None, counts
    best = max(counts, key=lambda c: (counts[c], c.lower() in ("code", "ma", "unit_code")))
    return best, counts


def match_codes(values: pd.Series, units: pd.DataFrame) -> list[str | None]:
    """Unit code for each value (exact first; zero-padding tolerated; a clash between levels is
    settled in favour of the level most other values matched)."""
    lookup = _unit_lookup(units)
    exact = set(units["unit_code"].astype(str))
    level = dict(zip(units["unit_code"].astype(str), units["level"]))
    first: list[list[str]] = []
    for v in values:
        s = v.strip() if isinstance(v, str) else None   # integers go through code_key
        if s in exact:
            first.append([s])
        else:
            first.append(lookup.get(code_key(v), []))
    levels = pd.Series([level[c[0]] for c in first if len(c) == 1])
    main = levels.mode().iloc[0] if not levels.empty else None
    out: list[str | None] = []
    for cands in first:
        if not cands:
            out.append(None)
        elif len(cands) == 1:
            out.append(cands[0])
        else:
            pick = [c for c in cands if level[c] == main]
            out.append(pick[0] if len(pick) == 1 else None)
    return out


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


# -- storing ---------------------------------------------------------------------------------

def _units(db) -> pd.DataFrame:
    return db.df("SELECT unit_code, unit_name, level, parent_code FROM units")


def _row_json(row: dict) -> str:
    """batch_changes before/after: the whole boundary row, geometry as hex WKB."""
    r = dict(row)
    if isinstance(r.get("geometry_wkb"), (bytes, bytearray, memoryview)):
        r["geometry_wkb"] = bytes(r["geometry_wkb"]).hex()
    return to_json_row(r)


def _refuse_scoped(principal) -> None:
    """A boundary file replaces drawings across units: only for the whole data."""
    from dashboard.access import Forbidden

    if principal.scope is not None:
        raise Forbidden("Chỉ tài khoản có phạm vi toàn bộ dữ liệu mới nhập được ranh giới; "
                        "hãy gửi tệp cho quản trị viên.")


def store_boundaries(db, frame: pd.DataFrame, *, file_name: str, sha256: str | None,
                     note: str | None = None, mode: str = "all_or_nothing",
                     created_by: str | None = None,
                     data: bytes | None = None) -> tuple[int, int, int]:
    """Upsert rows (unit_code, geometry_wkb, display_geojson, approximate, source) in one
    transaction with its batch -> (batch_id, rows_new, rows_updated)."""
    from dashboard.access import context, require

    principal = context.current()
    require(principal, "upload")
    _refuse_scoped(principal)
    created_by = created_by or principal.username
    codes = list(frame["unit_code"])
    with db.transaction() as cur:
        before = {r[0]: dict(zip(["unit_code", "geometry_wkb", "display_geojson",
                                  "approximate", "source", "batch_id"], r))
                  for r in cur.execute(
                      "SELECT unit_code, geometry_wkb, display_geojson, approximate, source,"
                      " batch_id FROM boundaries WHERE list_contains(?, unit_code)",
                      [codes]).fetchall()}
        batch_id = db.next_batch_id(cur)
        rows_updated = sum(1 for c in codes if c in before)
        rows_new = len(codes) - rows_updated
        archive = None
        if data is not None:   # the uploaded file is kept, like every other import
            from dashboard.ingest.pipeline import archive_file
            archive = archive_file(db, batch_id, file_name or "ranh_gioi", data)
        cur.execute(
            "INSERT INTO batches (batch_id, created_at, dataset, file_name, sha256, rows_new,"
            " rows_updated, rows_unchanged, rows_rejected, status, mode, created_by, note,"
            " archive_path) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 'committed', ?, ?, ?, ?)",
            [batch_id, dt.datetime.now(), DATASET, file_name, sha256, rows_new,
             rows_updated, mode, created_by, note, archive])
        out = frame.assign(batch_id=batch_id)[
            ["unit_code", "geometry_wkb", "display_geojson", "approximate", "source",
             "batch_id"]]
        changes = pd.DataFrame({
            "batch_id": batch_id, "dataset": DATASET,
            "row_key": [json.dumps([c], ensure_ascii=False) for c in codes],
            "before_json": [_row_json(before[c]) if c in before else None for c in codes],
            "after_json": [_row_json(r) for r in out.to_dict("records")]})
        cur.execute("DELETE FROM boundaries WHERE list_contains(?, unit_code)", [codes])
        cur.register("_b_rows", out)
        cur.execute("INSERT INTO boundaries SELECT * FROM _b_rows")
        cur.unregister("_b_rows")
        cur.register("_b_changes", changes)
        cur.execute("INSERT INTO batch_changes SELECT * FROM _b_changes")
        cur.unregister("_b_changes")
    return batch_id, rows_new, rows_updated


def prepare(gdf: gpd.GeoDataFrame, units: pd.DataFrame, code_property: str | None,
            report: BoundaryReport) -> pd.DataFrame | None:
    """Match, repair, merge duplicates and simplify -> rows for `boundaries` (None on errors)."""
    report.features = len(gdf)
    report.properties = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    prop, counts = detect_code_property(gdf, units)
    report.candidates = counts
    if code_property is not None:
        if code_property not in gdf.columns:
            report.errors.append(
                f"Tệp không có thuộc tính «{code_property}». Các thuộc tính: "
                + ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name) + ".")
            return None
        prop = code_property
    if prop is None:
        report.needs_code_property = True
        report.errors.append(
            "Không thuộc tính nào của tệp khớp với mã đơn vị đã có; hãy chọn thuộc tính chứa "
            "mã (các thuộc tính: " + ", ".join(
                str(c) for c in gdf.columns if c != gdf.geometry.name) + ").")
        return None
    report.code_property = prop
    gdf, report.repaired, empty = repair(gdf)
    codes = match_codes(gdf[prop], units)
    name_col = next((c for c in gdf.columns if str(c).lower() in
                     ("name", "ten", "fullname", "unit_name", "ten_xa", "tenxa")), None)
    for i, (code, value) in enumerate(zip(codes, gdf[prop])):
        if code is None:
            report.unmatched_features.append({
                "row": i + 1, "value": None if value is None else str(value),
                "name": None if name_col is None else str(gdf[name_col].iloc[i])})
    gdf = gdf.assign(_code=codes)
    no_geom = gdf[gdf["_code"].notna() & gdf.geometry.isna()]
    if len(no_geom):
        report.notes.append(f"{len(no_geom)} đối tượng không có hình học vùng (bỏ qua): "
                            + ", ".join(no_geom["_code"].astype(str).head(10)) + ".")
    report.dropped_parts = int(empty)
    gdf = gdf[gdf["_code"].notna() & gdf.geometry.notna()]
    if gdf.empty:
        report.errors.append("Không đối tượng nào khớp với mã đơn vị đã có; kiểm tra thuộc "
                             f"tính «{prop}» và danh sách đơn vị.")
        return None
    dup = gdf["_code"].duplicated(keep=False)
    if dup.any():
        report.merged_duplicates = int(dup.sum() - gdf.loc[dup, "_code"].nunique())
        gdf = gdf.dissolve(by="_code", as_index=False)
        gdf["geometry"] = [_polygonal(shapely.make_valid(g)) for g in gdf.geometry]
    minx, miny, maxx, maxy = gdf.total_bounds
    if minx < VN_BOUNDS[0] or miny < VN_BOUNDS[1] or maxx > VN_BOUNDS[2] or maxy > VN_BOUNDS[3]:
        report.errors.append(
            "Tọa độ sau khi chuyển đổi nằm ngoài lãnh thổ Việt Nam "
            f"({minx:.3f}, {miny:.3f} – {maxx:.3f}, {maxy:.3f}); kiểm tra hệ tọa độ của tệp.")
        return None
    report.matched = sorted(gdf["_code"])
    levels = set(units.loc[units.unit_code.isin(report.matched), "level"])
    missing = units[units.level.isin(levels) & ~units.unit_code.isin(report.matched)]
    report.units_without_feature = [{"unit_code": r.unit_code, "unit_name": r.unit_name}
                                    for r in missing.sort_values("unit_code").itertuples()]
    geoms = list(gdf.geometry)
    return pd.DataFrame({
        "unit_code": list(gdf["_code"]),
        "geometry_wkb": shapely.to_wkb(np.asarray(geoms, dtype=object)),
        "display_geojson": simplify_for_display(geoms),
        "approximate": False,
        "source": report.file_name,
    })


def import_boundaries(db, path, code_property: str | None = None, dry_run: bool = False,
                      data: bytes | None = None, file_name: str | None = None,
                      created_by: str | None = None) -> BoundaryReport:
    """Read → repair → reproject → match → simplify → store (all or nothing).

    The CLI (`import boundaries FILE`) and the browser upload (`data` = the uploaded bytes)
    both call this. Features whose code matches no unit are reported and not stored."""
    from dashboard.access import Forbidden, context

    path = Path(path)
    report = BoundaryReport(file_name=file_name or path.name, dry_run=dry_run)
    try:
        _refuse_scoped(context.current())
    except Forbidden as exc:
        report.errors.append(str(exc))
        return report
    try:
        raw = data if data is not None else path.read_bytes()
    except OSError:
        report.errors.append(f"Không tìm thấy hoặc không đọc được tệp «{path.name}».")
        return report
    try:
        gdf, report.source_crs = read_boundary_file(path, data=raw)
    except BoundaryError as exc:
        report.errors.append(scrub_paths(exc))
        return report
    units = _units(db)
    if units.empty:
        report.errors.append("Chưa có đơn vị nào: hãy nhập danh sách đơn vị trước ranh giới.")
        return report
    rows = prepare(gdf, units, code_property, report)
    if rows is None or dry_run or not report.ok:
        return report
    report.batch_id, report.rows_new, report.rows_updated = store_boundaries(
        db, rows, file_name=report.file_name, sha256=hashlib.sha256(raw).hexdigest(),
        created_by=created_by, data=raw)
    return report


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
    return [None if c is None else _polygonal(shapely.make_valid(c.intersection(clip)))
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
    return _polygonal(hull.intersection(discs))


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
