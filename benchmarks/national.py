"""The national data set of the benchmarks, as upload files (CSV, canonical headers, the
formats users send: dd/mm/yyyy dates, text numbers).

34 provinces and 3,321 communes of the official 2025 list, ~100k villages, ~250k cells (5 %
pilot, 8 % ended), ~60k models, ~1.2M monthly indicator rows (4 indicators, 36 months, over
~8,300 units). `scale` shrinks everything but the official units (the tiny-scale test uses
0.002).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.store import reference

FULL = {"villages": 100_000, "cells": 250_000, "models": 60_000, "indicator_rows": 1_200_000}
INDICATORS = ("feedback_received", "feedback_resolved", "antt_incidents", "meetings_held")
FIELDS = ("economy", "culture_society", "defense_security", "political_system")


def sizes(scale: float = 1.0) -> dict[str, int]:
    return {k: max(20, int(v * scale)) for k, v in FULL.items()}


def _dates(rng, start: dt.date, days: np.ndarray) -> np.ndarray:
    base = np.datetime64(start.isoformat())
    return pd.to_datetime(base + days.astype("timedelta64[D]")).strftime("%d/%m/%Y").to_numpy()


def national(scale: float = 1.0, seed: int = 7) -> dict[str, pd.DataFrame]:
    n = sizes(scale)
    rng = np.random.default_rng(seed)
    ref = reference.tables()
    prov, com = ref["ref_provinces"], ref["ref_communes"]
    units = [pd.DataFrame({"unit_code": prov.province_code, "unit_name": prov.province_name,
                           "level": "province", "parent_code": "", "households": ""}),
             pd.DataFrame({"unit_code": com.commune_code, "unit_name": com.commune_name,
                           "level": "commune", "parent_code": com.province_code,
                           "households": rng.integers(800, 6000, len(com)).astype(str)})]
    parent = com.commune_code.to_numpy()[rng.integers(0, len(com), n["villages"])]
    vcodes = np.char.add(np.char.add(parent.astype(str), "-"),
                         np.char.zfill(np.arange(n["villages"]).astype(str), 6))
    units.append(pd.DataFrame({"unit_code": vcodes,
                               "unit_name": np.char.add("Thôn ", np.arange(n["villages"]).astype(str)),
                               "level": "village", "parent_code": parent,
                               "households": rng.integers(60, 450, n["villages"]).astype(str)}))
    units_df = pd.concat(units, ignore_index=True)

    nc = n["cells"]
    # 3 % of cells attached to the commune itself, the rest to villages
    direct = rng.random(nc) < 0.03
    unit = np.where(direct, com.commune_code.to_numpy()[rng.integers(0, len(com), nc)],
                    vcodes[rng.integers(0, n["villages"], nc)])
    est_days = rng.integers(0, 1200, nc)
    ended = rng.random(nc) < 0.08
    end_days = est_days + rng.integers(0, 600, nc)
    cells_df = pd.DataFrame({
        "cell_id": np.char.add("C", np.char.zfill(np.arange(nc).astype(str), 7)),
        "cell_name": np.char.add("Tổ dân vận ", np.arange(nc).astype(str)),
        "unit_code": unit,
        "phase": np.where(rng.random(nc) < 0.05, "Thí điểm", "Nhân rộng"),
        "established_on": _dates(rng, dt.date(2023, 1, 1), est_days),
        "ended_on": np.where(ended, _dates(rng, dt.date(2023, 1, 1), end_days), ""),
        "members": rng.integers(5, 9, nc).astype(str),
        "households_covered": rng.integers(25, 60, nc).astype(str)})

    nm = n["models"]
    mlevel = np.where(rng.random(nm) < 0.6, "village", "commune")
    munit = np.where(mlevel == "village", vcodes[rng.integers(0, n["villages"], nm)],
                     com.commune_code.to_numpy()[rng.integers(0, len(com), nm)])
    mstart = rng.integers(0, 2000, nm)
    mended = rng.random(nm) < 0.1
    models_df = pd.DataFrame({
        "model_id": np.char.add("MH", np.char.zfill(np.arange(nm).astype(str), 6)),
        "model_name": np.char.add("Mô hình dân vận khéo số ", np.arange(nm).astype(str)),
        "field": np.asarray(FIELDS)[rng.integers(0, 4, nm)],
        "level": mlevel, "unit_code": munit,
        "started_on": _dates(rng, dt.date(2020, 1, 1), mstart),
        "ended_on": np.where(mended, _dates(rng, dt.date(2020, 1, 1), mstart + 400), ""),
        "households_reached": rng.integers(20, 800, nm).astype(str)})

    months = pd.period_range("2023-01", periods=36, freq="M").strftime("%Y-%m").to_numpy()
    n_units = max(1, n["indicator_rows"] // (len(INDICATORS) * len(months)))
    pool = np.concatenate([com.commune_code.to_numpy(), vcodes])
    iunits = pool[rng.choice(len(pool), size=min(n_units, len(pool)), replace=False)]
    grid = pd.MultiIndex.from_product([iunits, months, INDICATORS],
                                      names=["unit_code", "period", "indicator"]).to_frame(
                                          index=False)
    vals = rng.integers(0, 40, len(grid)).astype(str)
    frac = rng.random(len(grid)) < 0.2
    vals = np.where(frac, np.char.add(vals, ",5"), vals)     # decimal commas, as sent
    grid["value"] = vals
    return {"units": units_df, "cells": cells_df, "models": models_df, "indicators": grid}


def write_files(folder: Path, scale: float = 1.0, seed: int = 7) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, frame in national(scale, seed).items():
        out[name] = folder / f"{name}.csv"
        frame.to_csv(out[name], index=False, encoding="utf-8")
    return out
