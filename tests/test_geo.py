"""Boundary import: formats, CRS, repair, code matching, reports, storage as one batch."""
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from dashboard import store
from dashboard.ingest import boundary_files
from dashboard.output import geo
from dashboard.store import queries, reference

FIXTURE = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "boundaries" / \
    "bac_ninh_communes_2025.geojson"
CODES = ["07210", "07228", "07246"]


@pytest.fixture
def db(tmp_path):
    d = store.Database(tmp_path / "g.duckdb")
    units = reference.units_frame("24")
    cur = d.cursor()
    cur.register("u", units)
    cur.execute("INSERT INTO units SELECT unit_code, unit_name, level, parent_code, households,"
                " population FROM u")
    cur.execute("INSERT INTO units VALUES ('07210-01', 'Thôn 1', 'village', '07210', 100, NULL),"
                " ('07210-02', 'Thôn 2', 'village', '07210', 80, NULL),"
                " ('07210-03', 'Thôn 3', 'village', '07210', 60, NULL)")
    cur.close()
    yield d
    d.close()


def centroid(code):
    r = reference.tables()["ref_communes"].set_index("commune_code").loc[code]
    return float(r.longitude), float(r.latitude)


def nasty_frame(code_values):
    """Three communes: a square, a MultiPolygon of two squares, a square with a hole."""
    geoms = []
    for i, code in enumerate(CODES):
        x, y = centroid(code)
        if i == 0:
            geoms.append(box(x - 0.01, y - 0.01, x + 0.01, y + 0.01))
        elif i == 1:
            geoms.append(MultiPolygon([box(x - 0.01, y - 0.01, x, y),
                                       box(x + 0.005, y, x + 0.01, y + 0.01)]))
        else:
            geoms.append(Polygon(box(x - 0.02, y - 0.02, x + 0.02, y + 0.02).exterior.coords,
                                 [box(x - 0.005, y - 0.005, x + 0.005, y + 0.005)
                                  .exterior.coords]))
    return gpd.GeoDataFrame({"ma_xa": code_values, "ten": ["A", "B", "C"]}, geometry=geoms,
                            crs="EPSG:4326")


def stored(db):
    return db.df("SELECT * FROM boundaries ORDER BY unit_code")


def test_projected_geojson_with_integer_codes(db, tmp_path):
    gdf = nasty_frame([int(c) for c in CODES])              # 7210, 7228, 7246
    path = tmp_path / "xa_vn2000.geojson"
    gdf.to_crs("EPSG:3405").to_file(path, driver="GeoJSON")
    rep = boundary_files.import_boundaries(db, path)
    assert rep.ok, rep.messages()
    assert rep.code_property == "ma_xa"
    assert rep.source_crs and "3405" in rep.source_crs
    assert rep.matched == CODES
    assert rep.rows_new == 3 and rep.batch_id is not None
    rows = stored(db)
    assert list(rows.unit_code) == CODES
    full = [shapely.from_wkb(bytes(b)) for b in rows.geometry_wkb]
    # back in degrees where they started (within 1e-6 degree, about 10 cm)
    for g, orig in zip(full, gdf.geometry):
        assert g.hausdorff_distance(orig) < 1e-6
    assert full[1].geom_type == "MultiPolygon" and len(full[1].geoms) == 2
    assert len(full[2].interiors) == 1                       # the hole is kept
    disp = json.loads(rows.display_geojson[2])
    assert disp["type"] == "Polygon" and len(disp["coordinates"]) == 2
    # all or nothing with a batch row and undo data
    b = db.df("SELECT * FROM batches WHERE batch_id = ?", [rep.batch_id])
    assert b.dataset[0] == "boundaries" and b.rows_new[0] == 3
    assert db.scalar("SELECT count(*) FROM batch_changes WHERE batch_id = ?", [rep.batch_id]) == 3
    # units of the same level without a feature are reported (99 communes - 3)
    assert len(rep.units_without_feature) == 96


def test_zipped_shapefile_utm(db, tmp_path):
    gdf = nasty_frame(CODES)
    folder = tmp_path / "shp"
    folder.mkdir()
    gdf.to_crs("EPSG:32648").to_file(folder / "ranh_gioi.shp")
    zpath = tmp_path / "ranh_gioi.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in folder.iterdir():
            zf.write(p, f"data/{p.name}")
    rep = boundary_files.import_boundaries(db, zpath)
    assert rep.ok, rep.messages()
    assert "32648" in rep.source_crs
    assert rep.matched == CODES
    g = shapely.from_wkb(bytes(stored(db).geometry_wkb[0]))
    assert g.hausdorff_distance(gdf.geometry[0]) < 1e-6


def test_zip_without_dbf_is_refused(db, tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    nasty_frame(CODES).to_file(folder / "x.shp")
    zpath = tmp_path / "x.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in folder.iterdir():
            if p.suffix != ".dbf":
                zf.write(p, p.name)
    rep = boundary_files.import_boundaries(db, zpath)
    assert not rep.ok and ".dbf" in rep.errors[0]
    assert stored(db).empty


def test_geopackage_bowtie_unknown_code_and_dry_run(db, tmp_path):
    x, y = centroid(CODES[0])
    bowtie = Polygon([(x - 0.01, y - 0.01), (x + 0.01, y + 0.01), (x + 0.01, y - 0.01),
                      (x - 0.01, y + 0.01)])                  # self-intersecting
    assert not bowtie.is_valid
    x2, y2 = centroid(CODES[1])
    gdf = gpd.GeoDataFrame({"code": ["07210", "99999", "07228"]},
                           geometry=[bowtie, box(x, y, x + 0.01, y + 0.01),
                                     box(x2, y2, x2 + 0.01, y2 + 0.01)], crs="EPSG:4326")
    path = tmp_path / "xa.gpkg"
    gdf.to_file(path, driver="GPKG")
    dry = boundary_files.import_boundaries(db, path, dry_run=True)
    assert dry.ok and dry.repaired == 1 and dry.batch_id is None
    assert stored(db).empty                                   # dry run writes nothing
    rep = boundary_files.import_boundaries(db, path)
    assert rep.repaired == 1
    assert rep.unmatched_features == [{"row": 2, "value": "99999", "name": None}]
    assert any("99999" in m for m in rep.messages())
    rows = stored(db)
    assert list(rows.unit_code) == ["07210", "07228"]
    g = shapely.from_wkb(bytes(rows.geometry_wkb[0]))
    assert g.is_valid and g.geom_type == "MultiPolygon" and len(g.geoms) == 2
    assert g.area == pytest.approx(0.0002, rel=1e-6)   # two triangles of 0.02 x 0.01 / 2
    # importing again updates, not duplicates
    again = boundary_files.import_boundaries(db, path)
    assert again.rows_updated == 2 and again.rows_new == 0
    assert len(stored(db)) == 2


def test_code_property_must_be_chosen_when_nothing_matches(db, tmp_path):
    gdf = nasty_frame(["x1", "x2", "x3"])
    gdf["ma_chuan"] = CODES
    gdf = gdf.drop(columns=["ma_xa"]).rename(columns={"ma_chuan": "khac"})
    gdf["khac"] = ["a", "b", "c"]
    gdf["ma_that"] = [c.lstrip("0") for c in CODES]
    path = tmp_path / "x.geojson"
    gdf.to_file(path, driver="GeoJSON")
    rep = boundary_files.import_boundaries(db, path)                   # detects ma_that
    assert rep.ok and rep.code_property == "ma_that"
    rep = boundary_files.import_boundaries(db, path, code_property="khac")
    assert not rep.ok and rep.errors
    rep = boundary_files.import_boundaries(db, path, code_property="khong_co")
    assert not rep.ok and "khong_co" in rep.errors[0]


def test_no_crs_projected_coordinates_refused(db, tmp_path):
    gdf = nasty_frame(CODES).to_crs("EPSG:32648").set_crs(None, allow_override=True)
    path = tmp_path / "nocrs.geojson"
    path.write_text(gdf.to_json(), encoding="utf-8")
    rep = boundary_files.import_boundaries(db, path)
    assert not rep.ok and "hệ tọa độ" in rep.errors[0]


def test_code_matching_rules():
    import pandas as pd
    units = pd.DataFrame({"unit_code": ["24", "07210", "00024", "07210-01"],
                          "level": ["province", "commune", "commune", "village"]})
    assert boundary_files.code_key("07210") == boundary_files.code_key(7210) == boundary_files.code_key(7210.0) == "7210"
    got = boundary_files.match_codes(pd.Series([7210, "07210-01", 24, "7228"]), units)
    # 24 is both the province "24" and the commune "00024": the communes win (7210 is one)
    assert got == ["07210", "07210-01", "00024", None]


@pytest.mark.skipif(not FIXTURE.exists(), reason="shared fixture ../shared/fixtures/boundaries "
                    "absent (real Bắc Ninh boundaries are not shipped with the project)")
def test_real_bac_ninh_boundaries(db):
    rep = boundary_files.import_boundaries(db, FIXTURE)
    assert rep.ok, rep.messages()
    assert rep.code_property == "code" and len(rep.matched) == 99
    assert rep.unmatched_features == [] and rep.units_without_feature == []
    rows = stored(db)
    full = sum(shapely.get_num_coordinates(shapely.from_wkb(bytes(b))) for b in rows.geometry_wkb)
    shown = sum(shapely.get_num_coordinates(shapely.from_geojson(g))
                for g in rows.display_geojson)
    assert shown < full                                       # simplified for display
    assert all(shapely.from_geojson(g).is_valid for g in rows.display_geojson)
    layer = queries.run(db, "map_boundaries", level="commune")
    assert len(layer) == 99 and not layer.approximate.any()


def test_approximate_polygons_keep_uploaded(db, tmp_path):
    gdf = nasty_frame(CODES)
    path = tmp_path / "x.geojson"
    gdf.to_file(path, driver="GeoJSON")
    boundary_files.import_boundaries(db, path)
    res = geo.approximate_polygons(db)
    assert res["communes"] == 96                              # 99 minus the 3 uploaded
    assert res["villages"] == 3                               # 07210's villages, inside its shape
    rows = stored(db).set_index("unit_code")
    assert not rows.loc["07210", "approximate"] and rows.loc["07264", "approximate"]
    commune = shapely.from_wkb(bytes(rows.loc["07210", "geometry_wkb"]))
    parts = [shapely.from_wkb(bytes(rows.loc[c, "geometry_wkb"]))
             for c in ("07210-01", "07210-02", "07210-03")]
    assert sum(p.area for p in parts) == pytest.approx(commune.area, rel=1e-6)
    assert all(commune.buffer(1e-9).contains(p) for p in parts)
    # approximate commune cells do not overlap each other
    approx = [shapely.from_wkb(bytes(b)) for c, b in rows.geometry_wkb.items()
              if rows.loc[c, "approximate"] and "-" not in c]
    union = shapely.union_all(approx)
    assert union.area == pytest.approx(sum(a.area for a in approx), rel=1e-6)
