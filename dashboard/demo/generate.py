"""The demo province: Bắc Ninh (code 24) with its 99 real 2025 communes from the reference, and
synthetic villages, cells, models and monthly indicators generated deterministically here.

The generated files are committed in data/demo/ (Vietnamese headers, dd/mm/yyyy dates, UTF-8
with BOM) so they double as examples of the upload format; `python -m dashboard demo` loads
them through the same import code as any user file. `generate()` rebuilds them exactly.
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard import contract
from dashboard.store import reference

PROVINCE = "24"
DEMO_DIR = Path(__file__).resolve().parent / "files"
DATA_END = dt.date(2026, 10, 31)       # last month of synthetic indicators
PILOT_START = dt.date(2023, 4, 15)
SEED = 20250701
ORDER = ("units", "cells", "models", "indicators")

VILLAGE_WORDS = ["Thôn Đông", "Thôn Tây", "Thôn Nam", "Thôn Bắc", "Thôn Trung", "Thôn Thượng",
                 "Thôn Hạ", "Xóm Mới", "Thôn Cầu", "Thôn Chùa", "Thôn Đình", "Thôn Hòa Bình",
                 "Thôn Tiến Bộ", "Thôn Quyết Tiến", "Thôn Thắng Lợi", "Thôn An Lạc"]
URBAN_WORDS = ["Tổ dân phố số", "Khu phố"]
MODEL_NAMES = {
    "defense_security": ["Camera giám sát an ninh trật tự", "Camera giám sát ANTT",
                         "Tổ tự quản an ninh trật tự", "Khu dân cư an toàn về ANTT",
                         "Cụm liên gia tự quản về an ninh", "Zalo an ninh khu dân cư",
                         "Đèn đường an ninh", "Dòng họ không có người vi phạm pháp luật"],
    "economy": ["Hỗ trợ hộ nghèo phát triển kinh tế", "Tổ hợp tác trồng rau an toàn",
                "Chi hội nông dân giúp nhau làm giàu", "Vốn vay quay vòng cho hội viên phụ nữ",
                "Dồn điền đổi thửa", "Sản phẩm OCOP của thôn"],
    "culture_society": ["Mỗi tuần một khu phố", "Kiệt hẻm an toàn – văn minh – sạch đẹp",
                        "Con đường hoa", "Tuyến phố văn minh", "Phân loại rác tại nguồn",
                        "Tủ sách cộng đồng", "Ngày Chủ nhật xanh",
                        "Thắp sáng đường quê"],
    "political_system": ["Dân vận khéo trong xây dựng nông thôn mới",
                         "Cán bộ, đảng viên gần dân, sát dân",
                         "Đối thoại với nhân dân hằng tháng", "Tiếp dân không hẹn",
                         "Chi bộ gắn với tổ dân vận cộng đồng", "Hộp thư góp ý của dân"],
}
OWNERS = ["Mặt trận Tổ quốc", "Hội Nông dân", "Hội Liên hiệp Phụ nữ", "Đoàn Thanh niên",
          "Hội Cựu chiến binh", "Công an xã", "Ủy ban nhân dân xã", "Chi bộ thôn"]
TASKS = ["Tuyên truyền", "An ninh trật tự", "Vệ sinh môi trường", "Phòng chống dịch bệnh",
         "Tiếp nhận, phản ánh ý kiến nhân dân", "Hòa giải ở cơ sở"]


def _quarter_start(year: int, q: int) -> dt.date:
    return dt.date(year, 3 * (q - 1) + 1, 1)


def build() -> dict[str, pd.DataFrame]:
    """The four datasets with canonical columns and Python values."""
    rng = np.random.default_rng(SEED)
    prov = reference.province(PROVINCE)
    communes = reference.communes_of(PROVINCE).reset_index(drop=True)

    units = [{"unit_code": PROVINCE, "unit_name": prov.province_name, "level": "province",
              "parent_code": None, "households": None, "population": None}]
    villages = []
    for c in communes.itertuples():
        urban = c.commune_type == "Phường"
        n_v = int(rng.integers(6, 15))
        hh_total = 0
        for i in range(n_v):
            hh = int(rng.integers(80, 330)) if not urban else int(rng.integers(150, 420))
            name = (f"{URBAN_WORDS[i % 2]} {i + 1}" if urban
                    else VILLAGE_WORDS[i % len(VILLAGE_WORDS)])
            code = f"{c.commune_code}-{i + 1:02d}"
            villages.append({"unit_code": code, "unit_name": name, "level": "village",
                             "parent_code": c.commune_code, "households": hh,
                             "population": int(hh * rng.uniform(3.2, 4.1))})
            hh_total += hh
        units.append({"unit_code": c.commune_code, "unit_name": c.commune_name,
                      "level": "commune", "parent_code": PROVINCE, "households": hh_total,
                      "population": None})
    units += villages
    units_df = pd.DataFrame(units)
    vdf = pd.DataFrame(villages)

    # --- cells: a pilot in 2 communes (37 and 6 cells), then quarterly rollout waves --------
    codes = list(communes.commune_code)
    order = rng.permutation(len(codes))
    pilot = [codes[order[0]], codes[order[1]]]
    rollout = [codes[i] for i in order[2:60]]
    waves = [(2024, 1), (2024, 2), (2024, 3), (2024, 4), (2025, 1), (2025, 2), (2025, 3),
             (2025, 4), (2026, 1), (2026, 2)]
    start_of: dict[str, tuple[dt.date, str]] = {pilot[0]: (PILOT_START, "pilot"),
                                                pilot[1]: (PILOT_START, "pilot")}
    for i, code in enumerate(rollout):
        y, q = waves[min(i * len(waves) // len(rollout), len(waves) - 1)]
        start_of[code] = (_quarter_start(y, q) + dt.timedelta(days=int(rng.integers(0, 80))),
                          "rollout")
    cells = []
    n = 0
    for code, (start, phase) in start_of.items():
        vs = vdf[vdf.parent_code == code]
        if code == pilot[0]:
            targets = 37
        elif code == pilot[1]:
            targets = 6
        else:
            share = rng.uniform(0.35, 0.85)
            targets = max(1, round(vs.households.sum() * share / 40))
        # spread cells over villages in proportion to households; some villages stay empty
        weights = vs.households.to_numpy(dtype=float)
        skip = rng.random(len(vs)) < (0.2 if phase == "rollout" else 0.0)
        if skip.all():
            skip[0] = False
        weights[skip] = 0
        alloc = np.floor(weights / weights.sum() * targets).astype(int)
        while alloc.sum() < targets:
            alloc[int(np.argmax(weights / (alloc + 1)))] += 1
        for (vcode, _vhh), k in zip(vs[["unit_code", "households"]].itertuples(index=False), alloc):
            for j in range(int(k)):
                n += 1
                est = start + dt.timedelta(days=int(rng.integers(0, 240 if phase == "rollout"
                                                                 else 60)))
                est = min(est, DATA_END)
                ended = None
                if rng.random() < 0.06:
                    ended = est + dt.timedelta(days=int(rng.integers(120, 700)))
                    ended = ended if ended <= DATA_END else None
                members = int(rng.integers(4, 7)) if phase == "pilot" else int(rng.integers(5, 9))
                hh = int(max(20, round(rng.normal(40, 7))))
                if rng.random() < 0.03:
                    hh = int(rng.integers(70, 95))   # some overloaded cells
                cells.append({
                    "cell_id": f"T{n:05d}",
                    "cell_name": f"Tổ dân vận {vcode.split('-')[-1]}.{j + 1}",
                    "cell_type": contract.CELL_TYPES[0] if rng.random() < 0.8
                    else contract.CELL_TYPES[2],
                    "unit_code": vcode, "phase": phase, "established_on": est,
                    "ended_on": ended, "members": members, "households_covered": hh,
                    "tasks": "; ".join(sorted(rng.choice(TASKS, size=3, replace=False)))})
    # a few cells attached directly to a commune (commune-level cells)
    for code in rollout[:5]:
        n += 1
        est = start_of[code][0] + dt.timedelta(days=30)
        cells.append({"cell_id": f"T{n:05d}", "cell_name": "Nhóm dân vận cộng đồng xã",
                      "cell_type": contract.CELL_TYPES[3], "unit_code": code,
                      "phase": "rollout", "established_on": est, "ended_on": None,
                      "members": 7, "households_covered": 35, "tasks": "Tuyên truyền"})
    cells_df = pd.DataFrame(cells)

    # --- models: ~1,900 over the four fields ---------------------------------------------
    models = []
    fields = list(MODEL_NAMES)
    cvill = vdf.groupby("parent_code").unit_code.apply(list).to_dict()
    cent = communes.set_index("commune_code")[["latitude", "longitude"]]
    for i in range(1900):
        f = fields[int(rng.choice(4, p=[0.22, 0.33, 0.27, 0.18]))]
        base = MODEL_NAMES[f][int(rng.integers(0, len(MODEL_NAMES[f])))]
        code = codes[int(rng.integers(0, len(codes)))]
        r = rng.random()
        if r < 0.03:
            level, unit = "province", PROVINCE
        elif r < 0.55:
            level, unit = "commune", code
        else:
            level, unit = "village", cvill[code][int(rng.integers(0, len(cvill[code])))]
        started = dt.date(2019, 1, 1) + dt.timedelta(days=int(rng.integers(0, 2850)))
        started = min(started, DATA_END)
        ended = None
        if rng.random() < 0.12:
            ended = started + dt.timedelta(days=int(rng.integers(200, 1400)))
            ended = ended if ended <= DATA_END else None
        lat = lon = None
        if level != "province" and rng.random() < 0.6:
            lat = round(float(cent.at[code, "latitude"] + rng.normal(0, 0.01)), 5)
            lon = round(float(cent.at[code, "longitude"] + rng.normal(0, 0.01)), 5)
        place = units_df.set_index("unit_code").at[unit, "unit_name"]
        models.append({
            "model_id": f"MH{i + 1:04d}", "model_name": f"{base} {place}".strip()
            if rng.random() < 0.5 else base,
            "field": f, "level": level, "unit_code": unit,
            "owner": OWNERS[int(rng.integers(0, len(OWNERS)))], "started_on": started,
            "ended_on": ended,
            "recognized_level": (None if rng.random() < 0.5 else
                                 ["commune", "district", "province"][int(rng.integers(0, 3))]),
            "households_reached": int(rng.integers(20, 600)) if rng.random() < 0.7 else None,
            "latitude": lat, "longitude": lon,
            "description": f"Mô hình {base.lower()} do {OWNERS[i % len(OWNERS)]} chủ trì."})
    models_df = pd.DataFrame(models)

    # --- indicators: monthly per commune, from before the pilot until now ------------------
    months = pd.period_range("2022-01", DATA_END.strftime("%Y-%m"), freq="M")
    hh_c = units_df[units_df.level == "commune"].set_index("unit_code").households
    rows = []
    for code in codes:
        size = hh_c[code] / 1000
        base_fb = rng.uniform(4, 9) * size
        base_inc = rng.uniform(0.8, 1.6) * size
        start = start_of.get(code, (None, None))[0]
        for m in months:
            d = m.to_timestamp().date()
            after = start is not None and d >= dt.date(start.year, start.month, 1)
            season = 1 + 0.1 * math.sin(m.month / 12 * 2 * math.pi)
            fb = rng.poisson(base_fb * season * (1.35 if after else 1.0))
            resolved = int(round(fb * rng.uniform(0.7, 0.95) * (1.05 if after else 1.0)))
            inc = rng.poisson(base_inc * season * (0.75 if after else 1.0))
            rows += [(code, m.strftime("%Y-%m"), "feedback_received", float(fb)),
                     (code, m.strftime("%Y-%m"), "feedback_resolved", float(min(resolved, fb))),
                     (code, m.strftime("%Y-%m"), "antt_incidents", float(inc))]
    ind_df = pd.DataFrame(rows, columns=["unit_code", "period", "indicator", "value"])
    # a few missing months, as in real reporting
    drop = rng.random(len(ind_df)) < 0.02
    ind_df = ind_df[~drop].reset_index(drop=True)
    ind_df, sent = report_schedule(ind_df)
    return {"units": units_df, "cells": cells_df, "models": models_df, "indicators": ind_df,
            "indicator_reports": sent}


# --- the monthly reporting cycle: when each commune's report arrived --------------------------
REPORT_MONTHS = 12            # the last months arrive as monthly report batches
REPORT_LOADED = dt.date(2025, 11, 3)   # the older months were loaded in one batch that day
# (share of communes, P(on time), P(late), P(never sent)) by how reliably a commune reports
PROFILES = [(0.70, 0.93, 0.06, 0.01), (0.20, 0.55, 0.38, 0.07), (0.10, 0.30, 0.45, 0.25)]
ON_TIME_DAYS = (3, 5)         # days of the following month (the due day is the 5th)
LATE_DAYS = (12, 26)
PARTIAL_SHARE = 0.10          # reports sent with one indicator missing
SENT_LABEL = "Ngày gửi"


def report_schedule(ind: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The date each indicator row of the last REPORT_MONTHS months was sent, drawn from a
    per-commune reliability profile: mostly on time, some late (one wave on the 12th, one on
    the 26th, a few two months late), some reports partial (one indicator later or never),
    some never sent. -> (indicator rows that were sent, (unit_code, period, indicator,
    sent_on) of the reported months). Uses its own random stream: the other datasets and
    the older indicator months are those of build() before this cycle existed."""
    rng = np.random.default_rng(SEED + 17)
    last = pd.Period(DATA_END.strftime("%Y-%m"), freq="M")
    window = {str(last - i) for i in range(REPORT_MONTHS)}
    codes = sorted(ind.unit_code.unique())
    shares = np.array([p[0] for p in PROFILES])
    profile = dict(zip(codes, rng.choice(len(PROFILES), size=len(codes), p=shares)))
    sent_rows, keep = [], np.ones(len(ind), dtype=bool)
    recent = ind[ind.period.isin(window)]
    for (code, period), group in recent.groupby(["unit_code", "period"], sort=True):
        _, p_on, p_late, _ = PROFILES[profile[code]]
        nxt = (pd.Period(period, freq="M") + 1).to_timestamp().date()
        r = rng.random()
        if r >= p_on + p_late:                      # never sent
            keep[group.index] = False
            continue
        if r < p_on:
            main = nxt.replace(day=int(rng.choice(ON_TIME_DAYS)))
        elif period != str(last) and rng.random() < 0.1:    # two months late
            main = (nxt + pd.DateOffset(months=1)).date().replace(day=10)
        else:
            main = nxt.replace(day=int(rng.choice(LATE_DAYS)))
        dates = {i: main for i in group.index}
        if len(group) > 1 and rng.random() < PARTIAL_SHARE:
            held = int(rng.choice(group.index))
            later = [d for d in (nxt.replace(day=12), nxt.replace(day=26)) if d > main]
            if later and rng.random() < 0.6:
                dates[held] = later[0]
            else:
                keep[held] = False
                del dates[held]
        for i, d in dates.items():
            sent_rows.append((ind.at[i, "unit_code"], period, ind.at[i, "indicator"], d))
    sent = pd.DataFrame(sent_rows, columns=["unit_code", "period", "indicator", "sent_on"])
    return ind[keep].reset_index(drop=True), sent


def to_upload_format(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical frame -> what a user would upload: Vietnamese headers, dd/mm/yyyy dates,
    enum values as their Vietnamese labels."""
    ds = contract.DATASETS[name]
    out = pd.DataFrame()
    for col in ds.columns:
        s = frame[col.name]
        if col.type == "date":
            s = s.map(lambda d: d.strftime("%d/%m/%Y") if isinstance(d, dt.date) else "")
        elif col.type == "enum":
            s = s.map(lambda v, e=col.enum: contract.enum_label(e, v) if isinstance(v, str)
                      else "")
            if name == "units" and col.name == "level":
                # a ward is written "Phường", as officials would
                s = [("Phường" if str(n).startswith("Phường") else lab)
                     for lab, n in zip(s, frame["unit_name"])]
        elif col.type == "integer":
            s = s.map(lambda v: "" if v is None or v != v else str(int(v)))
        elif col.type == "decimal":
            s = s.map(lambda v: "" if v is None or v != v else f"{v:g}")
        else:
            s = s.map(lambda v: "" if v is None or v != v else str(v))
        out[col.label] = s
    return out


def _sent_format(sent: pd.DataFrame) -> pd.DataFrame:
    out = to_upload_format("indicators", sent.assign(value=np.nan)).drop(columns="Giá trị")
    out[SENT_LABEL] = [d.strftime("%d/%m/%Y") for d in sent["sent_on"]]
    return out


def generate(folder: Path = DEMO_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in build().items():
        path = folder / f"{name}.csv"
        out = _sent_format(frame) if name == "indicator_reports" else \
            to_upload_format(name, frame)
        out.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
        paths.append(path)
    return paths


def _report_batches(folder: Path) -> list[tuple[dt.datetime, str, bytes]]:
    """indicators.csv split as the province received it: the older months in one batch on
    REPORT_LOADED, then one batch per day on which reports arrived (indicator_reports.csv)."""
    ind = pd.read_csv(folder / "indicators.csv", dtype=str, keep_default_na=False,
                      encoding="utf-8-sig")
    sent = pd.read_csv(folder / "indicator_reports.csv", dtype=str, keep_default_na=False,
                       encoding="utf-8-sig")
    key = ["Mã đơn vị", "Kỳ", "Chỉ số"]
    merged = ind.merge(sent, on=key, how="left").fillna({SENT_LABEL: ""})
    out = []
    old = merged[merged[SENT_LABEL] == ""].drop(columns=SENT_LABEL)
    if len(old):
        out.append((dt.datetime.combine(REPORT_LOADED, dt.time(8, 30)), "chi_so_truoc_do.csv",
                    old.to_csv(index=False).encode("utf-8-sig")))
    recent = merged[merged[SENT_LABEL] != ""]
    days = sorted(recent[SENT_LABEL].unique(), key=lambda t: t[6:] + t[3:5] + t[:2])
    for i, day in enumerate(days):
        part = recent[recent[SENT_LABEL] == day].drop(columns=SENT_LABEL)
        when = dt.datetime.strptime(day, "%d/%m/%Y").replace(hour=9, minute=15 + i % 40)
        out.append((when, f"bao_cao_chi_so_{when:%Y-%m-%d}.csv",
                    part.to_csv(index=False).encode("utf-8-sig")))
    return out


def load(db, folder: Path = DEMO_DIR, progress=print) -> list:
    """Import the demo CSVs through the ordinary import code, then mark the database as demo."""
    from dashboard import ingest

    reports = []
    for name in ORDER:
        if name == "indicators" and (folder / "indicator_reports.csv").exists():
            parts = _report_batches(folder)
        else:
            parts = [(None, f"{name}.csv", (folder / f"{name}.csv").read_bytes())]
        for when, file_name, data in parts:
            report = ingest.import_bytes(db, name, data, file_name)
            if not report.committed:
                raise RuntimeError(report.summary_text())
            if when is not None:      # the day the province received these reports
                with db.transaction() as cur:
                    cur.execute("UPDATE batches SET created_at = ? WHERE batch_id = ?",
                                [when, report.batch_id])
            reports.append(report)
        if progress:
            n = sum(r.new for r in reports if r.dataset == name)
            ids = [r.batch_id for r in reports if r.dataset == name]
            span = f"lô {ids[0]}" if len(ids) == 1 else f"lô {ids[0]}–{ids[-1]}"
            progress(f"  {name}: {n} dòng mới ({span})")
    from dashboard.output import geo
    geo.approximate_polygons(db)
    db.set_meta("demo", "1")
    db.set_meta("demo_province", PROVINCE)
    return reports
