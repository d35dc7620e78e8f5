"""Models registry: named queries models_* and dashboard.models_registry, on a small hand-built
database whose every figure is computed by hand below."""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.geometry
from rapidfuzz import fuzz, process

from dashboard import store
from dashboard.analysis import models_registry as mr
from dashboard.store import queries

AS_OF = dt.date(2025, 6, 30)

UNITS = [
    # unit_code, unit_name, level, parent_code, households, population
    ("24", "Tỉnh Bắc Ninh", "province", None, None, None),
    ("07210", "Phường Bắc Giang", "commune", "24", None, None),
    ("07210-01", "Tổ dân phố 1", "village", "07210", 300, None),
    ("07210-02", "Tổ dân phố 2", "village", "07210", 200, None),
    ("07228", "Phường Đa Mai", "commune", "24", 400, None),
    ("07246", "Xã Xuân Lương", "commune", "24", None, None),
    ("07246-01", "Thôn Đông", "village", "07246", 250, None),
]

D = dt.date
MODELS = [
    # id, name, field, level, unit, owner, started, ended, recognized, hh, lat, lon, description
    ("M01", "Camera giám sát ANTT", "defense_security", "village", "07210-01", "Công an phường",
     D(2023, 3, 10), None, "province", 120, None, None, "Lắp camera ở các ngõ"),
    ("M02", "Mô hình camera giám sát an ninh trật tự", "defense_security", "commune", "07210",
     "Công an", D(2023, 5, 1), D(2024, 12, 31), None, None, None, None, None),
    ("M03", "Camera giam sat an ninh trat tu", "defense_security", "province", "24",
     "Ban Dân vận Tỉnh ủy", D(2024, 1, 15), None, "province", None, None, None, None),
    ("M04", "Dân vận khéo trong xây dựng nông thôn mới", "political_system", "commune", "07228",
     "Mặt trận Tổ quốc", D(2024, 2, 1), None, "district", 400, None, None,
     "Vận động nhân dân hiến đất làm đường"),
    ("M05", "Dan van kheo trong xay dung NTM", "political_system", "commune", "07246", "MTTQ",
     D(2025, 7, 15), None, None, None, None, None, None),
    ("M06", "Tổ hợp tác trồng rau an toàn", "economy", "village", "07210-02", "Hội Nông dân",
     D(2022, 6, 1), None, "commune", 35, 21.28, 106.2, None),
    ("M07", "Con đường hoa", "culture_society", "village", "07246-01", "Hội LHPN",
     D(2021, 1, 1), D(2025, 6, 30), None, None, None, None, None),
    ("M08", "Kiệt hẻm an toàn – văn minh – sạch đẹp", "culture_society", "commune", "07228",
     "Đoàn Thanh niên", D(2025, 6, 30), None, None, None, None, None, None),
    ("M09", "Kiệt hẻm sạch đẹp, văn minh, an toàn", "culture_society", "commune", "07210",
     "Đoàn Thanh niên", D(2024, 9, 9), None, None, None, None, None, None),
    ("M10", "Camera giám sát ANTT khu phố 3", "defense_security", "commune", "07228",
     "Công an phường", D(2024, 3, 1), None, None, None, None, None, None),
    ("M11", "Camera giám sát ANTT khu phố 4", "defense_security", "commune", "07228",
     "Công an phường", D(2024, 4, 1), None, None, None, None, None, None),
]
BOUNDARY = {"type": "Polygon", "coordinates": [[[106.2, 21.27], [106.23, 21.27],
                                                [106.23, 21.3], [106.2, 21.27]]]}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "models.duckdb"
    database = store.Database(path)
    cur = database.cursor()
    cur.executemany("INSERT INTO units VALUES (?, ?, ?, ?, ?, ?)", UNITS)
    cur.executemany("INSERT INTO models VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", MODELS)
    cur.execute("INSERT INTO boundaries (unit_code, geometry_wkb, display_geojson, source) "
                "VALUES (?, ?, ?, ?)", ["07210", shapely.to_wkb(shapely.geometry.shape(BOUNDARY)),
                                        json.dumps(BOUNDARY), "test"])
    cur.close()
    yield database
    database.close()


@pytest.fixture(scope="module")
def prepared(db):
    return mr.prepare(queries.run(db, "models_list", as_of=AS_OF), AS_OF)


# ---------------------------------------------------------------------------------------------
# Counts per field and level

def test_models_by_field_level_matches_hand_counts_and_models_by_field(db):
    fl = queries.run(db, "models_by_field_level", as_of=AS_OF)
    assert len(fl) == 16  # every field x level pair
    got = {(r.field, r.level): (r.models, r.active_models) for r in fl.itertuples()
           if r.models}
    assert got == {
        ("economy", "village"): (1, 1),
        ("culture_society", "village"): (1, 0),      # M07 ended on as_of
        ("culture_society", "commune"): (2, 2),      # M08 starts on as_of, M09
        ("defense_security", "province"): (1, 1),
        ("defense_security", "commune"): (3, 2),     # M02 ended
        ("defense_security", "village"): (1, 1),
        ("political_system", "commune"): (2, 1),     # M05 not started yet
    }
    by_field = queries.run(db, "models_by_field", as_of=AS_OF).set_index("field")
    summed = fl.groupby("field")[["models", "active_models"]].sum()
    for f in by_field.index:
        assert summed.loc[f, "models"] == by_field.loc[f, "models"]
        assert summed.loc[f, "active_models"] == by_field.loc[f, "active_models"]
    assert by_field["models"].tolist() == [1, 3, 5, 2]
    assert by_field["active_models"].tolist() == [1, 2, 4, 1]


def test_models_by_field_level_commune_filter(db):
    fl = queries.run(db, "models_by_field_level", as_of=AS_OF, communes=["07228"])
    assert fl["models"].sum() == 4          # M04, M08, M10, M11
    assert fl["active_models"].sum() == 4


def test_models_list_status_and_commune(db, prepared):
    df = prepared.set_index("model_id")
    assert df.loc["M01", "commune_code"] == "07210"
    assert df.loc["M01", "commune_name"] == "Phường Bắc Giang"
    assert pd.isna(df.loc["M03", "commune_code"])
    assert df.loc["M02", "status"] == "ended"
    assert df.loc["M05", "status"] == "not_started"
    assert df.loc["M07", "status"] == "ended"       # ended_on == as_of
    assert df.loc["M08", "status"] == "active"      # started_on == as_of
    # the SQL status and the pandas status_at agree
    assert (mr.status_at(prepared, AS_OF) == prepared["status"]).all()
    only = queries.run(db, "models_list", as_of=AS_OF, communes=["07210"])
    assert sorted(only["model_id"]) == ["M01", "M02", "M06", "M09"]


# ---------------------------------------------------------------------------------------------
# Over time, per household, field share, gaps

def test_models_over_time(db):
    t = queries.run(db, "models_over_time", as_of=AS_OF)
    assert t["period"].iloc[0] == "2021-01" and t["period"].iloc[-1] == "2025-06"
    assert len(t) == 54 * 4                 # Jan 2021 .. Jun 2025, four fields
    ds = t[t["field"] == "defense_security"].set_index("period")
    assert ds.loc["2023-03", "started"] == 1 and ds.loc["2023-03", "active_models"] == 1
    assert ds.loc["2024-11", "active_models"] == 5
    assert ds.loc["2024-12", "ended"] == 1 and ds.loc["2024-12", "active_models"] == 4
    cs = t[t["field"] == "culture_society"].set_index("period")
    assert cs.loc["2025-06", "ended"] == 1 and cs.loc["2025-06", "started"] == 1
    last = t[t["period"] == "2025-06"].set_index("field")["active_models"]
    by_field = queries.run(db, "models_by_field", as_of=AS_OF).set_index("field")
    assert last.to_dict() == by_field["active_models"].to_dict()


def test_models_per_household(db):
    p = queries.run(db, "models_per_household", as_of=AS_OF).set_index("commune_code")
    assert p.loc["07210", "households"] == 500 and p.loc["07210", "active_models"] == 3
    assert p.loc["07210", "models_per_1000_households"] == pytest.approx(6.0)
    assert p.loc["07228", "models_per_1000_households"] == pytest.approx(10.0)
    assert p.loc["07246", "models_per_1000_households"] == pytest.approx(0.0)
    assert p.loc["07210", "latitude"] == pytest.approx(21.2849)   # official centroid
    assert list(p.index)[0] == "07228"                             # highest rate first


def test_models_field_share(db):
    s = queries.run(db, "models_field_share", as_of=AS_OF).set_index("field")
    assert s["communes"].tolist() == [3, 3, 3, 3]
    assert s["communes_with_model"].tolist() == [1, 2, 2, 1]
    assert s["share_pct"].tolist() == pytest.approx([33.33, 66.67, 66.67, 33.33])
    assert s["households_with_model"].tolist() == [500, 900, 900, 400]
    assert s["households"].tolist() == [1150] * 4


def test_models_gaps(db):
    g = queries.run(db, "models_gaps", as_of=AS_OF)
    row = g.set_index("commune_code").loc["07210"]
    assert (row.active_models, row.economy, row.culture_society, row.defense_security,
            row.political_system, row.fields_missing) == (3, 1, 1, 1, 0, 1)
    none = mr.gaps(g)
    assert none["commune_code"].tolist() == ["07246"] and none["households"].sum() == 250
    no_econ = mr.gaps(g, "economy")
    assert no_econ["commune_code"].tolist() == ["07228", "07246"]      # 400 hh, then 250
    summary = mr.gap_summary(g).set_index("gap")
    assert summary.loc["any", "communes"] == 1 and summary.loc["any", "households"] == 250
    assert summary.loc["economy", "households"] == 650
    assert summary.loc["political_system", "households"] == 750
    assert summary.loc["culture_society", "communes"] == 1


# ---------------------------------------------------------------------------------------------
# Search and facets

def ids(df):
    return sorted(df["model_id"])


@pytest.mark.parametrize("query, expected", [
    ("dan van kheo", ["M04", "M05"]),
    ("DÂN VẬN KHÉO", ["M04", "M05"]),
    ("ANTT", ["M01", "M02", "M03", "M10", "M11"]),
    ("an ninh trật tự", ["M01", "M02", "M03", "M10", "M11"]),
    ("mttq", ["M04", "M05"]),                      # owner "Mặt trận Tổ quốc" and "MTTQ"
    ("hien dat", ["M04"]),                         # description
    ("rau", ["M06"]),                              # word start only: not "trau..."
    ("kiet hem van minh", ["M08", "M09"]),         # any word order
    ("camera khu pho 4", ["M11"]),
    ("đường hoa", ["M07"]),
    ("", [f"M{i:02d}" for i in range(1, 12)]),
])
def test_search_vietnamese(prepared, query, expected):
    assert ids(mr.filtered(prepared, {}, query)) == expected


def test_facet_counts(prepared):
    status = mr.facet_counts(prepared, "status").set_index("value")["count"].to_dict()
    assert status == {"active": 8, "ended": 2, "not_started": 1}
    flt = {"field": ["defense_security"]}
    status_ds = mr.facet_counts(prepared, "status", flt).set_index("value")["count"].to_dict()
    assert status_ds == {"active": 4, "ended": 1}
    # a facet is counted without its own filter, so the other values stay one click away
    fields = mr.facet_counts(prepared, "field", flt).set_index("value")["count"].to_dict()
    assert fields == {"economy": 1, "culture_society": 3, "defense_security": 5,
                      "political_system": 2}
    years = mr.facet_counts(prepared, "year", flt, "camera")
    assert years["value"].tolist() == ["2024", "2023"] and years["count"].tolist() == [3, 2]
    communes = mr.facet_counts(prepared, "commune").set_index("value")["count"]
    assert communes["Phường Đa Mai (07228)"] == 4 and communes["Cấp huyện/tỉnh"] == 1
    owners = mr.facet_counts(prepared, "owner", {"status": ["active"]}).set_index("value")
    assert owners.loc["Công an phường", "count"] == 3
    rec = mr.facet_counts(prepared, "recognized").set_index("value")["count"].to_dict()
    assert rec == {"Tỉnh": 2, "Huyện": 1, "Xã": 1, mr.NO_VALUE: 7}
    # selected value with no match keeps a zero row so it can be unselected
    kept = mr.facet_counts(prepared, "level", {"level": ["district"]})
    assert kept.set_index("value").loc["district", "count"] == 0
    both = mr.filtered(prepared, {"field": ["defense_security"], "status": ["active"],
                                  "level": ["commune", "village"]}, None)
    assert ids(both) == ["M01", "M10", "M11"]


def test_display_table_is_vietnamese(prepared):
    t = mr.display_table(prepared)
    assert list(t.columns)[:4] == ["Mã mô hình", "Tên mô hình", "Lĩnh vực", "Cấp"]
    row = t.set_index("Mã mô hình").loc["M04"]
    assert row["Lĩnh vực"] == "Xây dựng hệ thống chính trị" and row["Tình trạng"] == "Đang hoạt động"


# ---------------------------------------------------------------------------------------------
# Duplicates

@pytest.mark.parametrize("a, b", [
    ("Camera giám sát ANTT", "camera giam sat an ninh trat tu"),
    ("Mô hình “Vệ sinh môi trường thứ 7”", "VSMT thứ 7"),
    ("Tuyến đường ATGT", "Tuyến đường an toàn giao thông"),
    ("Hội CCB tham gia giữ gìn ANTT", "Hội cựu chiến binh tham gia giữ gìn an ninh trật tự"),
    ("TDP văn minh", "Tổ dân phố văn minh"),
    ("Chi hội LHPN giúp nhau", "chi hoi lien hiep phu nu giup nhau"),
    ("MTTQ với cuộc vận động", "Mặt trận Tổ quốc với cuộc vận động"),
])
def test_normalize_name_abbreviations(a, b):
    assert mr.normalize_name(a) == mr.normalize_name(b)


def test_find_duplicates_same_area(prepared):
    """Default scope: the same model registered twice in one place (a village and its
    commune); the province's model of the same name and the same practice in other communes
    are not duplicates — that is the model spreading."""
    d = mr.find_duplicates(prepared, threshold=85)
    assert d["model_id"].tolist() == ["M02", "M01"]     # reference first (commune, earliest)
    assert d["group_id"].tolist() == [1, 1] and (d["score"] == 100).all()
    assert d["group_size"].tolist() == [2, 2]


def test_replications_are_spread_not_duplicates(prepared):
    reps, members = mr.replications(prepared, threshold=85)
    # "Dân vận khéo trong xây dựng NTM" in Đa Mai and Xuân Lương: 2 communes; the camera
    # model of the province, Bắc Giang's commune and village: 1 commune only (no spread)
    assert reps["model_name"].tolist() == ["Dân vận khéo trong xây dựng nông thôn mới",
                                           "Kiệt hẻm sạch đẹp, văn minh, an toàn"]
    assert reps["communes"].tolist() == [2, 2] and reps["models"].tolist() == [2, 2]
    assert reps["group_id"].tolist() == [1, 2]
    assert set(members.loc[members.group_id == 1, "model_id"]) == {"M04", "M05"}
    assert str(reps.iloc[0]["first_started"]) == "2024-02-01"
    shown = mr.replications_display(reps)
    assert list(shown.columns)[:3] == ["Mô hình", "Lĩnh vực", "Số xã, phường áp dụng"]
    assert shown["Lĩnh vực"].iloc[0] == "Xây dựng hệ thống chính trị"


def test_a_province_model_adopted_by_communes_is_spread():
    df = _frame(["Camera ANTT"] * 4, level=["province", "commune", "commune", "village"],
                unit_code=["01", "00001", "00002", "00002-01"],
                commune_code=[None, "00001", "00002", "00002"], province_code=["01"] * 4)
    dups = mr.find_duplicates(df)
    assert dups["model_id"].tolist() == ["X2", "X3"]    # village + its commune: one place
    reps, _ = mr.replications(df)
    assert reps["communes"].tolist() == [2] and reps["models"].tolist() == [4]
    assert reps["origin_level"].tolist() == ["province"]


def test_find_duplicates_whole_registry(prepared):
    d = mr.find_duplicates(prepared, threshold=85, scope="all")
    groups = d.groupby("group_id")["model_id"].apply(list).to_dict()
    # reference member first: highest level, then earliest start
    assert groups == {1: ["M03", "M02", "M01"], 2: ["M04", "M05"], 3: ["M09", "M08"]}
    assert (d["score"] == 100).all()
    # "khu phố 3" and "khu phố 4" are two places, not one model reported twice
    assert not d["model_id"].isin(["M10", "M11"]).any()
    # within one field only: same groups here (duplicates share their field)
    assert mr.find_duplicates(prepared, scope="all", within_field=True)["model_id"].tolist() \
        == d["model_id"].tolist()


def _frame(names, **cols):
    n = len(names)
    base = {"model_id": [f"X{i}" for i in range(n)], "model_name": names,
            "field": "culture_society", "level": "commune", "unit_code": "1", "unit_name": "u",
            "commune_name": "c", "started_on": pd.to_datetime("2024-01-01")}
    base.update(cols)
    return pd.DataFrame(base)


def test_find_duplicates_fuzzy_scores():
    names = ["Hộp thư góp ý của dân", "Hộp thư góp ý của nhân dân", "Con đường hoa",
             "Tổ tự quản về ANTT", "Tổ tự quản an ninh trật tự", "Ngày Chủ nhật xanh"]
    df = _frame(names)
    for scope in ("all", "area"):      # no place known: every pair is a candidate
        d = mr.find_duplicates(df, threshold=85, scope=scope)
        groups = d.groupby("group_id")["model_id"].apply(list).to_dict()
        assert groups == {1: ["X0", "X1"], 2: ["X3", "X4"]}
        s = d.set_index("model_id")["score"]
        # 'cua dan gop hop thu y' vs 'cua dan gop hop nhan thu y' (sorted): 2*21/(21+26)
        assert s["X1"] == pytest.approx(89.4, abs=0.05)
        # 'an ninh quan to trat tu tu ve' vs the same without 've': 2*26/(29+26)
        assert s["X4"] == pytest.approx(94.5, abs=0.05)
        assert mr.find_duplicates(df, threshold=95, scope=scope)["model_id"].tolist() == []


def test_find_duplicates_area_follows_the_hierarchy():
    names = ["Camera ANTT", "Camera an ninh trật tự", "camera antt", "Camera ANTT",
             "Camera ANTT"]
    df = _frame(names, level=["district", "commune", "commune", "commune", "province"],
                commune_code=[None, "00001", "00002", "00001", None],
                district_code=["001", "001", "002", "001", None],
                province_code=["01", "01", "01", "01", "02"])
    df["unit_code"] = ["001", "00001", "00002", "00001", "02"]
    d = mr.find_duplicates(df)
    # only the two models of commune 00001 are one place; the district's model, the other
    # commune and another province's model are not duplicates of them
    assert d["model_id"].tolist() == ["X1", "X3"]
    chained = _frame(["Camera ANTT"] * 3, level=["province", "commune", "commune"],
                     unit_code=["01", "00001", "00002"],
                     commune_code=[None, "00001", "00002"], province_code=["01"] * 3)
    # a province model and two communes' copies: spread, not duplicates
    assert mr.find_duplicates(chained)["model_id"].tolist() == []


def test_star_groups_do_not_chain():
    """A ~ B and B ~ C but A !~ C: two stars, not one chain."""
    names = ["chi hoi phu nu tiet kiem", "chi hoi phu nu tiet kiem vang",
             "chi hoi phu nu tiet kiem vang bac da quy"]
    keys = [mr.normalize_name(x) for x in names]
    assert fuzz.token_sort_ratio(keys[0], keys[1]) >= 85
    assert fuzz.token_sort_ratio(keys[1], keys[2]) < 85
    d = mr.find_duplicates(_frame(names), scope="all")
    assert d["model_id"].tolist() == ["X0", "X1"]


def test_blocking_finds_the_same_pairs_as_all_pairs():
    """Prefix-filtered blocks vs comparing every pair, on 1,500 generated names."""
    rng = np.random.default_rng(7)
    stems = ["camera giam sat an ninh trat tu", "to tu quan an ninh", "con duong hoa",
             "phan loai rac tai nguon", "tu sach cong dong", "hop thu gop y cua dan",
             "chi hoi nong dan giup nhau lam giau", "den duong an ninh"]
    places = ["thon dong", "thon tay", "xom moi", "khu pho", "lang", "ban", "ap", ""]
    names = sorted({f"{rng.choice(stems)} {rng.choice(places)} {rng.choice(places)} "
                    f"{rng.integers(1, 60)}".strip() for _ in range(1500)})
    keys = sorted({mr.normalize_name(n) for n in names})
    i, j, s = mr.duplicate_pairs(keys, threshold=85, max_block=200)
    got = set(zip(i.tolist(), j.tolist()))
    assert (i < j).all() and (s >= 85).all()
    m = process.cdist(keys, keys, scorer=fuzz.token_sort_ratio, score_cutoff=85)
    nums = [mr._numbers(k) for k in keys]
    brute = {(int(a), int(b)) for a, b in zip(*np.nonzero(m)) if a < b and nums[a] == nums[b]}
    assert len(brute) > 50
    assert got == brute


# ---------------------------------------------------------------------------------------------
# Card and similar models

def test_models_card(db):
    c = queries.run(db, "models_card", model_id="M01").iloc[0]
    assert c["hierarchy"] == "Tỉnh Bắc Ninh › Phường Bắc Giang › Tổ dân phố 1"
    assert c["commune_code"] == "07210" and c["unit_name"] == "Tổ dân phố 1"
    assert c["point_source"] == "commune_centroid"
    assert c["point_latitude"] == pytest.approx(21.2849)
    assert json.loads(c["boundary_geojson"]) == BOUNDARY
    c6 = queries.run(db, "models_card", model_id="M06").iloc[0]
    assert (c6["point_latitude"], c6["point_longitude"], c6["point_source"]) == (21.28, 106.2,
                                                                                "model")
    c3 = queries.run(db, "models_card", model_id="M03").iloc[0]
    assert c3["hierarchy"] == "Tỉnh Bắc Ninh" and pd.isna(c3["point_latitude"])
    assert queries.run(db, "models_card", model_id="nope").empty


def test_similar_models(prepared):
    s = mr.similar_models(prepared, "M01", limit=4)
    assert s["model_id"].tolist()[:2] in (["M02", "M03"], ["M03", "M02"])
    assert s["score"].tolist()[:2] == [100.0, 100.0]
    assert "M01" not in s["model_id"].tolist()
    assert set(s["model_id"][2:]) == {"M10", "M11"}
    assert mr.similar_models(prepared, "missing").empty


# ---------------------------------------------------------------------------------------------
# The in-memory registry (models_registry once per data version, one view per date and
# communes) gives the figures of prepare(models_list) with filter_mask / facet_counts

def _dates_around_boundaries(db, n: int = 6, seed: int = 7) -> list[dt.date]:
    days = set()
    for col in ("started_on", "ended_on"):
        for d in db.df(f"SELECT DISTINCT {col} AS d FROM models WHERE {col} IS NOT NULL")["d"]:
            d = pd.Timestamp(d).date()
            days.update({d - dt.timedelta(days=1), d, d + dt.timedelta(days=1)})
    rnd = np.random.default_rng(seed)
    picked = sorted(days)
    return [picked[i] for i in rnd.choice(len(picked), size=min(n, len(picked)), replace=False)]


def _cells(df: pd.DataFrame) -> pd.DataFrame:
    """The values a user sees, missing ones as None (whatever their dtype)."""
    return df.astype(object).where(df.notna(), None)


def test_registry_views_equal_models_list_on_dates_and_filters(db):
    reg = mr.Registry(queries.run(db, "models_registry"))
    rnd = np.random.default_rng(3)
    for as_of in _dates_around_boundaries(db, n=10) + [AS_OF]:
        for communes in (None, ["07210"], ["07228", "07246"], [], ["24"]):
            old = mr.prepare(queries.run(db, "models_list", as_of=as_of, communes=communes),
                             as_of)
            view = reg.view(as_of, communes)
            if not communes:
                pd.testing.assert_frame_equal(view.df, old)
                pd.testing.assert_frame_equal(view.display, mr.display_table(old))
            else:       # the query's types follow its rows (an all-empty column)
                pd.testing.assert_frame_equal(_cells(view.df), _cells(old))
                pd.testing.assert_frame_equal(_cells(view.display),
                                              _cells(mr.display_table(old)))
            assert view.ids == old["model_id"].tolist()
            for query in (None, "camera antt", "dan van kheo", "kiet hem"):
                filters = {}
                for facet in mr.FACETS:       # random filters, values present or not
                    vals = sorted(old[facet.column].astype(str).unique())
                    if vals and rnd.random() < 0.4:
                        filters[facet.key] = list(rnd.choice(vals, size=1)) + (
                            ["absent"] if rnd.random() < 0.2 else [])
                want = mr.filter_mask(old, filters, query).to_numpy()
                m = view.mask(filters, query)
                assert (m == want).all()
                for facet in mr.FACETS:
                    c = mr.facet_counts(old, facet.key, filters, query)
                    assert view.counts(facet.key, filters, query) == \
                        dict(zip(c["value"], c["count"]))
                    assert view.present(facet.key) == sorted(
                        old[facet.column].astype(str).unique(), reverse=(facet.key == "year"))
                hits = mr.filtered(old, filters, query)
                # a subset whose column is all empty gets NaT / None there (pandas infers
                # the type from the subset), NaN here: the same empty cells
                pd.testing.assert_frame_equal(_cells(view.hits(m)),
                                              _cells(mr.display_table(hits)))
                assert view.summary(m) == (len(hits), int((hits["status"] == "active").sum()),
                                           hits["commune_code"].nunique())


def test_registry_similar_models_with_precomputed_keys(db):
    view = mr.Registry(queries.run(db, "models_registry")).view(AS_OF)
    for model_id in view.ids:
        pd.testing.assert_frame_equal(
            mr.similar_models(view.df, model_id, limit=15, keys=view.similarity_keys()),
            mr.similar_models(view.df, model_id, limit=15))


def test_batch_folding_equals_fold_words_on_any_text():
    from dashboard.i18n.text import fold_words

    rnd = np.random.default_rng(11)
    alphabet = list("aăâbcdđeêghiklmnoôơpqrstuưvxyÁÀẢÃẠẮẰẲẴẶĐÉÈẺẼẸẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌỐỒỔỖỘỚỜỞỠỢÚ"
                    "ÙỦŨỤỨỪỬỮỰÝỲỶỸỴ –—“”\"'.,;:!?()0123456789\t\n İıΣσςẞßﬁǅ№ºKÅⅫ①²") + \
        ["\u0301", "\u0323", "\u0303"]
    texts = ["".join(rnd.choice(alphabet, size=rnd.integers(0, 40))) for _ in range(3000)]
    texts += [chr(int(rnd.integers(0x80, 0x2FFFF))) * 2 + "Ab" for _ in range(3000)]
    texts += [None, "", "   ", "MH\x00x", "Mô hình \"Camera giám sát ANTT\""]
    folded = mr.fold_words_many(texts)
    assert folded == [fold_words(t) for t in texts]
    assert mr.expand_abbreviations_many(folded) == [mr.expand_abbreviations(f) for f in folded]
    assert mr.normalize_names(texts) == [mr.normalize_name(t) for t in texts]
    assert mr.fold_words_many([]) == [] and mr.normalize_names([]) == []


def test_map_distinct_equals_map():
    s = pd.Series(["economy", None, "culture_society", "economy", "x"], dtype="str")
    fn = lambda v: mr.enum_label(mr.FIELDS, v)  # noqa: E731
    pd.testing.assert_series_equal(mr._map_distinct(s, fn), s.map(fn))
    o = pd.Series(["province", None, "commune", None], dtype=object)
    g = lambda v: v.upper() if isinstance(v, str) else None  # noqa: E731
    pd.testing.assert_series_equal(mr._map_distinct(o, g), o.map(g))


def test_empty_registry(tmp_path):
    database = store.Database(tmp_path / "empty.duckdb")
    try:
        view = mr.Registry(queries.run(database, "models_registry")).view(AS_OF)
        assert len(view) == 0 and view.ids == []
        assert view.counts("field") == {} and view.present("year") == []
    finally:
        database.close()
