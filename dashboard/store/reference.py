"""Official administrative units (reference data), from the PyPI package `vietnamadminunits`.

Loaded into DuckDB as read-only reference tables:
- ref_provinces(province_code, province_name, latitude, longitude) — the 34 provinces of 2025
- ref_communes(commune_code, commune_name, commune_type, province_code, province_name,
               latitude, longitude, area_km2) — the 3,321 communes of 2025
- ref_legacy_communes(old_commune_code, old_commune_name, old_district_code,
               old_district_name, old_province_code, old_province_name) — pre-2025 units
- ref_crosswalk(old_commune_code, new_commune_code, divided, is_default) — old → new; an old
               commune split between several new communes has one row per new commune
               (divided = true) and is never assigned silently.
They are reference data, not the user's units: `units_from_reference` copies one province's
official communes into `units` when the user asks for it.
"""
from __future__ import annotations

import json
import sqlite3
from functools import lru_cache
from pathlib import Path

import pandas as pd

REFERENCE_VERSION = "vietnamadminunits-1.0.4/1"


def _package_dir() -> Path:
    import vietnamadminunits

    return Path(vietnamadminunits.__file__).parent


def _sqlite(sql: str) -> pd.DataFrame:
    with sqlite3.connect(_package_dir() / "data" / "dataset.db") as con:
        return pd.read_sql_query(sql, con)


@lru_cache(maxsize=1)
def tables() -> dict[str, pd.DataFrame]:
    communes = _sqlite(
        "SELECT wardCode AS commune_code, ward AS commune_name, wardType AS commune_type, "
        "provinceCode AS province_code, province AS province_name, wardLat AS latitude, "
        "wardLon AS longitude, wardAreaKm2 AS area_km2, provinceKey, wardKey FROM admin_units")
    provinces = _sqlite(
        "SELECT DISTINCT provinceCode AS province_code, province AS province_name, "
        "provinceLat AS latitude, provinceLon AS longitude FROM admin_units ORDER BY 1")
    legacy = _sqlite(
        "SELECT wardCode AS old_commune_code, ward AS old_commune_name, "
        "districtCode AS old_district_code, district AS old_district_name, "
        "provinceCode AS old_province_code, province AS old_province_name, "
        "provinceKey, districtKey, wardKey FROM admin_units_legacy")
    crosswalk = _crosswalk(communes, legacy)
    return {
        "ref_provinces": provinces,
        "ref_communes": communes.drop(columns=["provinceKey", "wardKey"]),
        "ref_legacy_communes": legacy.drop(columns=["provinceKey", "districtKey", "wardKey"]),
        "ref_crosswalk": crosswalk,
    }


def _crosswalk(communes: pd.DataFrame, legacy: pd.DataFrame) -> pd.DataFrame:
    with open(_package_dir() / "data" / "converter_2025.json", encoding="utf-8") as f:
        conv = json.load(f)
    new_code = {(r.provinceKey, r.wardKey): r.commune_code for r in communes.itertuples()}
    old_code = {f"{r.provinceKey}_{r.districtKey}_{r.wardKey}": r.old_commune_code
                for r in legacy.itertuples()}
    rows = []
    for prov, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, olds in wards.items():
            code = new_code.get((prov, ward_key))
            for old in olds:
                if code and old in old_code:
                    rows.append((old_code[old], code, False, True))
    for prov, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, targets in olds.items():
            for t in targets:
                code = new_code.get((prov, t["newWardKey"]))
                if code and old in old_code:
                    rows.append((old_code[old], code, True, bool(t["isDefaultNewWard"])))
    df = pd.DataFrame(rows, columns=["old_commune_code", "new_commune_code", "divided",
                                     "is_default"]).drop_duplicates(
        ["old_commune_code", "new_commune_code"])
    # an old commune listed both as whole and as split is split
    n = df.groupby("old_commune_code")["new_commune_code"].transform("count")
    df.loc[n > 1, "divided"] = True
    return df.reset_index(drop=True)


def ensure_loaded(db) -> None:
    """Create the ref_* tables once per database (and again when the reference changes)."""
    cur = db.cursor()
    try:
        have = cur.execute(
            "SELECT value FROM app_meta WHERE key = 'reference_version'").fetchone()
        if have and have[0] == REFERENCE_VERSION:
            return
        for name, frame in tables().items():
            cur.register("_ref_frame", frame)
            cur.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _ref_frame")
            cur.unregister("_ref_frame")
        cur.execute("DELETE FROM app_meta WHERE key = 'reference_version'")
        cur.execute("INSERT INTO app_meta VALUES ('reference_version', ?)", [REFERENCE_VERSION])
    finally:
        cur.close()


def province(code: str) -> pd.Series | None:
    p = tables()["ref_provinces"]
    hit = p[p.province_code == str(code).zfill(2)]
    return None if hit.empty else hit.iloc[0]


def communes_of(province_code: str) -> pd.DataFrame:
    c = tables()["ref_communes"]
    return c[c.province_code == str(province_code).zfill(2)].sort_values("commune_code")


def units_frame(province_code: str) -> pd.DataFrame:
    """The province and its official communes as rows of the `units` dataset."""
    prov = province(province_code)
    if prov is None:
        raise KeyError(province_code)
    communes = communes_of(prov.province_code)
    rows = [{"unit_code": prov.province_code, "unit_name": prov.province_name,
             "level": "province", "parent_code": None, "households": None, "population": None}]
    rows += [{"unit_code": c.commune_code, "unit_name": c.commune_name, "level": "commune",
              "parent_code": prov.province_code, "households": None, "population": None}
             for c in communes.itertuples()]
    return pd.DataFrame(rows)
