"""Benchmark of the models registry on a national-size synthetic registry.

    python benchmarks/bench_models.py [--n 100000] [--recall-sample 4000]

Generates n model names the way registries look (a practice, often an abbreviation or its
expansion, a place, sometimes a number; the same practice reported by commune, district and
province with small spelling differences), then times:
- normalisation (fold + abbreviations) of every name,
- search (folded, abbreviations) over name, owner and description,
- facet counts,
- near-duplicate detection (find_duplicates) with its blocking,
and checks the blocking's recall against comparing every pair on a sample.
Prints one table; copy it into benchmarks/RESULTS-models.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from dashboard.analysis import models_registry as mr  # noqa: E402

PRACTICES = [
    "Camera giám sát ANTT", "Camera giám sát an ninh trật tự", "Tổ tự quản về ANTT",
    "Khu dân cư an toàn về ANTT", "Cụm liên gia tự quản", "Zalo an ninh khu dân cư",
    "Đèn đường an ninh", "Dòng họ không có người vi phạm pháp luật", "Tuyến đường ATGT",
    "Hỗ trợ hộ nghèo phát triển kinh tế", "Tổ hợp tác trồng rau an toàn",
    "Chi hội nông dân giúp nhau làm giàu", "Vốn vay quay vòng cho hội viên phụ nữ",
    "Dồn điền đổi thửa", "Sản phẩm OCOP", "Mỗi tuần một khu phố",
    "Kiệt hẻm an toàn – văn minh – sạch đẹp", "Con đường hoa", "Tuyến phố văn minh",
    "Phân loại rác tại nguồn", "Tủ sách cộng đồng", "Ngày Chủ nhật xanh", "Thắp sáng đường quê",
    "VSMT thứ 7 hằng tuần", "Dân vận khéo trong xây dựng NTM",
    "Cán bộ, đảng viên gần dân, sát dân", "Đối thoại với nhân dân hằng tháng",
    "Tiếp dân không hẹn", "Chi bộ gắn với tổ dân vận cộng đồng", "Hộp thư góp ý của dân",
    "Hội CCB tham gia giữ gìn ANTT", "Chi hội LHPN 5 không 3 sạch", "TDP văn minh",
    "MTTQ với cuộc vận động toàn dân đoàn kết", "Nhà văn hóa sạch đẹp",
]
PLACE_WORDS = ["Đông", "Tây", "Nam", "Bắc", "Trung", "Thượng", "Hạ", "Mới", "Cầu", "Chùa",
               "Đình", "Hòa Bình", "Tiến Bộ", "Quyết Tiến", "Thắng Lợi", "An Lạc", "Phú",
               "Lộc", "Tân", "Yên", "Minh", "Quang", "Hưng", "Thịnh", "Phong", "Xuân", "Hà",
               "Sơn", "Lâm", "Thủy", "Long", "Vĩnh", "Thái", "Bình", "Khánh", "Định"]
PLACE_KIND = ["thôn", "xóm", "khu phố", "tổ dân phố", "ấp", "bản", "xã", "phường"]
FIELDS = ["economy", "culture_society", "defense_security", "political_system"]
LEVELS = ["village", "commune"]
OWNERS = ["Mặt trận Tổ quốc", "Hội Nông dân", "Hội LHPN", "Đoàn Thanh niên", "Hội CCB",
          "Công an xã", "UBND xã", "Chi bộ thôn"]


def _typo(rng, s: str) -> str:
    """A small variation as registries have them: case, missing accents, punctuation."""
    r = rng.random()
    if r < 0.3:
        return s.lower()
    if r < 0.5:
        from dashboard.i18n.text import strip_accents
        return strip_accents(s)
    if r < 0.6:
        return "Mô hình " + s
    if r < 0.7:
        return s.replace(",", "").replace("–", "-")
    return s


def synthetic(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    i = 0
    while len(rows) < n:
        practice = PRACTICES[rng.integers(len(PRACTICES))]
        place = (f"{PLACE_KIND[rng.integers(len(PLACE_KIND))]} "
                 f"{PLACE_WORDS[rng.integers(len(PLACE_WORDS))]} "
                 f"{PLACE_WORDS[rng.integers(len(PLACE_WORDS))]}")
        if rng.random() < 0.25:
            place += f" {rng.integers(1, 30)}"
        base = f"{practice} {place}"
        # the same model reported again by the commune (for a village model) and the province
        copies = 1 + (rng.random() < 0.3) + (rng.random() < 0.1)
        field = FIELDS[rng.integers(4)]
        commune = int(rng.integers(0, 3321))
        province = f"{commune % 34:02d}"
        first_level = 3 - int(rng.integers(0, 2))        # village or commune
        for c in range(copies):
            i += 1
            start = dt.date(2015, 1, 1) + dt.timedelta(days=int(rng.integers(0, 3800)))
            level = LEVELS[0] if first_level == 3 else LEVELS[1]
            if c == 1:
                level = "commune" if first_level == 3 else "province"
            elif c == 2:
                level = "province"
            rows.append({
                "model_id": f"MH{i:06d}", "model_name": _typo(rng, base) if c else base,
                "field": field, "level": level,
                "unit_code": f"{commune:05d}", "unit_name": place,
                "commune_code": None if level == "province" else f"{commune:05d}",
                "commune_name": place, "district_code": None, "province_code": province,
                "owner": OWNERS[rng.integers(len(OWNERS))],
                "started_on": pd.Timestamp(start),
                "ended_on": pd.Timestamp(start + dt.timedelta(days=900))
                if rng.random() < 0.15 else pd.NaT,
                "recognized_level": [None, "commune", "district", "province"][rng.integers(4)],
                "households_reached": int(rng.integers(0, 500)),
                "description": f"Mô hình {practice.lower()} do {OWNERS[rng.integers(8)]} chủ trì",
            })
    return pd.DataFrame(rows[:n])


def timed(fn, *a, **kw):
    t = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--recall-sample", type=int, default=4000)
    ap.add_argument("--threshold", type=float, default=85.0)
    args = ap.parse_args()

    rows: list[tuple[str, str]] = []
    df, t_gen = timed(synthetic, args.n)
    rows.append(("models generated", f"{len(df):,}"))
    as_of = dt.date(2025, 6, 30)
    prepared, t_prep = timed(mr.prepare, df, as_of)
    rows.append(("prepare (status, facets, folded search text)", f"{t_prep:.2f} s"))
    keys, t_norm = timed(lambda: df["model_name"].map(mr.normalize_name))
    rows.append(("normalise names", f"{t_norm:.2f} s"))
    rows.append(("distinct normalised names", f"{keys.nunique():,}"))

    for q in ("dan van kheo", "ANTT thon dong", "an ninh trật tự", "hội ccb"):
        hits, t_q = timed(mr.filtered, prepared, {}, q)
        rows.append((f"search «{q}»", f"{len(hits):,} hits, {t_q * 1000:.0f} ms"))
    flt = {"field": ["defense_security"], "status": ["active"]}
    _, t_f = timed(lambda: [mr.facet_counts(prepared, f.key, flt, "camera")
                            for f in mr.FACETS])
    rows.append(("7 facet counts (search + 2 filters)", f"{t_f * 1000:.0f} ms"))

    for scope, within in (("area", False), ("all", True), ("all", False)):
        dups, t_dup = timed(mr.find_duplicates, df, args.threshold, within, scope)
        label = {"area": "same place (default)", "all": "whole registry"}[scope]
        rows.append((f"find_duplicates, {label}{', within field' if within else ''}",
                     f"{t_dup:.2f} s — {dups['group_id'].nunique():,} groups, "
                     f"{len(dups):,} models"))

    # blocking recall on a sample: every pair compared vs prefix-filtered blocks
    uniq = sorted(set(keys.tolist()))
    rng = np.random.default_rng(3)
    sample = sorted(rng.choice(uniq, size=min(args.recall_sample, len(uniq)), replace=False))
    got, t_b = timed(mr.duplicate_pairs, sample, args.threshold)
    got_set = set(zip(got[0].tolist(), got[1].tolist()))
    m, t_all = timed(process.cdist, sample, sample, scorer=fuzz.token_sort_ratio,
                     score_cutoff=args.threshold, dtype=np.uint8, workers=1)
    nums = [mr._numbers(k) for k in sample]
    brute = {(int(i), int(j)) for i, j in zip(*np.nonzero(m)) if i < j and nums[i] == nums[j]}
    recall = len(got_set & brute) / len(brute) if brute else 1.0
    rows.append((f"sample of {len(sample):,} distinct names: blocks vs all pairs",
                 f"{t_b:.2f} s vs {t_all:.2f} s ({len(sample) ** 2 / 2:,.0f} pairs)"))
    rows.append(("blocking recall on the sample", f"{recall * 100:.2f}% "
                 f"({len(got_set & brute):,}/{len(brute):,} pairs)"))
    full_pairs = len(uniq) * (len(uniq) - 1) / 2
    rows.append(("all pairs at full size (not run)", f"{full_pairs:,.0f} comparisons, "
                 f"≈ {t_all / (len(sample) ** 2) * len(uniq) ** 2:.0f} s at the sample's rate"))

    print(f"# bench_models — {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}")
    print()
    print("| measure | value |")
    print("|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
