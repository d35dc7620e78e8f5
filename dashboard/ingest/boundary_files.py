"""Boundary files: read, repair, reproject, match unit codes, and import.

- `read_boundary_file(path)` reads GeoJSON, GeoPackage or a zipped Shapefile (decided from the
  file's first bytes, not its name) into a GeoDataFrame in EPSG:4326; any declared CRS is
  reprojected; a file without a CRS is accepted only when its coordinates are plainly degrees.
- `repair(gdf)` makes every geometry valid with shapely `make_valid`, keeps only polygonal parts
  (MultiPolygons and holes are kept as they are) and counts what it repaired.
- `detect_code_property(gdf, units)` finds the feature property whose values match unit codes
  (zero-padded strings or integers both match: "07210" == 7210).
- `import_boundaries(db, path, code_property=None, dry_run=False)` runs the whole path; the
  rows are simplified for display (dashboard.output.geo) and stored as ONE batch
  (dashboard.store.boundaries), or nothing at all when the file has errors.
"""
from __future__ import annotations

import hashlib
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

from dashboard.access.safe_text import scrub_paths
from dashboard.output.geo import polygonal, simplify_for_display
from dashboard.store.boundaries import store_boundaries

WGS84 = "EPSG:4326"
DATASET = "boundaries"
# Vietnam with a margin: coordinates outside this box mean a wrong or missing CRS.
VN_BOUNDS = (100.0, 5.0, 120.0, 25.0)

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

def repair(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int, int]:
    """Valid, 2-D, polygonal geometries -> (gdf, repaired count, features left without area)."""
    geoms = shapely.force_2d(np.asarray(gdf.geometry.values, dtype=object))
    valid = shapely.is_valid(geoms)
    repaired = int((~valid & ~shapely.is_missing(geoms)).sum())
    fixed = np.where(valid, geoms, shapely.make_valid(geoms))
    out = [polygonal(g) for g in fixed]
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


# -- matching and importing ------------------------------------------------------------------

def _units(db) -> pd.DataFrame:
    return db.units()


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
        gdf["geometry"] = [polygonal(shapely.make_valid(g)) for g in gdf.geometry]
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


def _refuse_scoped(principal) -> None:
    """A boundary file replaces drawings across units: only for the whole data."""
    from dashboard.access import Forbidden

    if principal.scope is not None:
        raise Forbidden("Chỉ tài khoản có phạm vi toàn bộ dữ liệu mới nhập được ranh giới; "
                        "hãy gửi tệp cho quản trị viên.")


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
    from dashboard.store.integrity import IntegrityError

    try:
        report.batch_id, report.rows_new, report.rows_updated = store_boundaries(
            db, rows, file_name=report.file_name, sha256=hashlib.sha256(raw).hexdigest(),
            created_by=created_by, data=raw)
    except IntegrityError as exc:   # units changed since the check: nothing written
        report.errors.append(str(exc))
    return report
