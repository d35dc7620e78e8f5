"""The "Dân vận khéo" models registry: search, facets, gaps and near-duplicate names.

Everything here works on DataFrames returned by the named queries `models_*` (queries/), so
each figure on the page still has its SQL; this module adds what SQL does poorly:
- search by name, owner and description ignoring diacritics and case, with the usual
  abbreviations understood both ways ("ANTT" finds "an ninh trật tự" and the reverse);
- facet counts (each facet counted under every other active filter, so one click filters);
- near-duplicate names (the same model reported by commune, district and province), found
  without comparing every pair: exact normalised keys first, then candidate pairs that share
  one of their rarest words (prefix filtering), scored with rapidfuzz inside each block.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from .contract import FIELDS, LEVEL_RANK, LEVELS, RECOGNIZED_LEVELS, enum_label
from .text import fold_words

# ---------------------------------------------------------------------------------------------
# Abbreviations usual in model names and owners. Display form -> expansion (with diacritics).
ABBREVIATIONS: dict[str, str] = {
    "ANTT": "an ninh trật tự",
    "ANCT": "an ninh chính trị",
    "ATGT": "an toàn giao thông",
    "VSMT": "vệ sinh môi trường",
    "BVMT": "bảo vệ môi trường",
    "ATVSTP": "an toàn vệ sinh thực phẩm",
    "PCCC": "phòng cháy chữa cháy",
    "TDP": "tổ dân phố",
    "KDC": "khu dân cư",
    "KP": "khu phố",
    "MTTQ": "Mặt trận Tổ quốc",
    "UBMTTQ": "Ủy ban Mặt trận Tổ quốc",
    "UBND": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân",
    "CCB": "cựu chiến binh",
    "LHPN": "liên hiệp phụ nữ",
    "HPN": "hội phụ nữ",
    "HND": "hội nông dân",
    "ĐTN": "đoàn thanh niên",
    "TNCS": "thanh niên cộng sản",
    "NCT": "người cao tuổi",
    "DVK": "dân vận khéo",
    "NTM": "nông thôn mới",
    "XDNTM": "xây dựng nông thôn mới",
    "ĐTVM": "đô thị văn minh",
    "GĐVH": "gia đình văn hóa",
    "TNXH": "tệ nạn xã hội",
    "BTXH": "bảo trợ xã hội",
    "VHXH": "văn hóa xã hội",
    "QPAN": "quốc phòng an ninh",
    "HTCT": "hệ thống chính trị",
    "XDHTCT": "xây dựng hệ thống chính trị",
    "CLB": "câu lạc bộ",
    "HTX": "hợp tác xã",
    "THT": "tổ hợp tác",
    "SXKD": "sản xuất kinh doanh",
    "CNTT": "công nghệ thông tin",
    "CĐS": "chuyển đổi số",
}
_EXPAND: dict[str, str] = {fold_words(k): fold_words(v) for k, v in ABBREVIATIONS.items()}
_EXPAND.update({"hoi ccb": "hoi cuu chien binh"})  # multi-word forms are handled per token

# Words that carry no meaning for duplicate detection when they open a name.
_LEADING_FILLER = ("mo hinh dan van kheo", "mo hinh", "dan van kheo")
_DIGITS = re.compile(r"\d+")

STATUSES: dict[str, str] = {"active": "Đang hoạt động", "ended": "Đã kết thúc",
                            "not_started": "Chưa bắt đầu"}


def expand_abbreviations(words: str) -> str:
    """Folded words with every known abbreviation replaced by its folded expansion."""
    return " ".join(_EXPAND.get(w, w) for w in words.split())


def normalize_name(name: object) -> str:
    """Key for comparing names: folded, abbreviations expanded, leading 'mô hình' dropped.

    >>> normalize_name('Mô hình "Camera giám sát ANTT"')
    'camera giam sat an ninh trat tu'
    """
    words = expand_abbreviations(fold_words(name))
    for filler in _LEADING_FILLER:
        if words.startswith(filler + " "):
            words = words[len(filler) + 1:]
            break
    return words


# ---------------------------------------------------------------------------------------------
# Search and facets

def status_at(df: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """active when started_on <= as_of and (ended_on empty or after as_of) — as models_by_field."""
    start = pd.to_datetime(df["started_on"])
    end = pd.to_datetime(df["ended_on"])
    d = pd.Timestamp(as_of)
    out = np.where(start > d, "not_started",
                   np.where(end.notna() & (end <= d), "ended", "active"))
    return pd.Series(out, index=df.index, dtype=object)


def search_text(df: pd.DataFrame) -> pd.Series:
    """Per model: folded name, owner and description, plus their abbreviation expansions,
    wrapped in spaces so that ' word' matches the start of a word."""
    raw = (df["model_name"].fillna("").astype(str) + " " + df["owner"].fillna("").astype(str)
           + " " + df["description"].fillna("").astype(str))
    folded = raw.map(fold_words)
    return " " + folded + " " + folded.map(expand_abbreviations) + " "


def query_words(query: str | None) -> list[str]:
    return expand_abbreviations(fold_words(query or "")).split()


def search_mask(haystack: pd.Series, query: str | None) -> pd.Series:
    """True where every word of the query starts a word of the model's text.

    Case, diacritics and punctuation are ignored and abbreviations are expanded on both sides,
    so 'dan van kheo' finds 'Dân vận khéo' and 'ANTT' finds 'an ninh trật tự'."""
    mask = pd.Series(True, index=haystack.index)
    for word in query_words(query):
        mask &= haystack.str.contains(" " + word, regex=False)
    return mask


@dataclass(frozen=True)
class Facet:
    key: str            # URL parameter and filter key
    column: str         # column of the prepared frame
    label: str          # Vietnamese heading
    order: tuple = ()   # preferred value order (enum codes); others follow by count


FACETS: tuple[Facet, ...] = (
    Facet("field", "field", "Lĩnh vực", tuple(FIELDS)),
    Facet("level", "level", "Cấp", tuple(LEVELS)),
    Facet("status", "status", "Tình trạng", tuple(STATUSES)),
    Facet("owner", "owner_label", "Đơn vị chủ trì"),
    Facet("year", "start_year", "Năm bắt đầu"),
    Facet("recognized", "recognized_label", "Cấp công nhận"),
    Facet("commune", "commune_label", "Xã/phường"),
)
FACET_BY_KEY = {f.key: f for f in FACETS}
NO_VALUE = "(không có)"


def prepare(models: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Add the columns search and facets use to a `models_list` result."""
    df = models.copy()
    df["status"] = status_at(df, as_of)
    df["start_year"] = pd.to_datetime(df["started_on"]).dt.year.astype("Int64").astype(str)
    df["owner_label"] = df["owner"].fillna("").astype(str).str.strip().replace("", NO_VALUE)
    df["recognized_label"] = df["recognized_level"].map(
        lambda v: enum_label(RECOGNIZED_LEVELS, v) if isinstance(v, str) and v else NO_VALUE)
    commune_name = df["commune_name"].fillna("").astype(str)
    df["commune_label"] = np.where(df["commune_code"].notna(),
                                   commune_name + " (" + df["commune_code"].fillna("") + ")",
                                   "Cấp huyện/tỉnh")
    df["_search"] = search_text(df)
    return df


def value_label(facet_key: str, value: str) -> str:
    if facet_key == "field":
        return enum_label(FIELDS, value)
    if facet_key == "level":
        return enum_label(LEVELS, value)
    if facet_key == "status":
        return STATUSES.get(value, value)
    return str(value)


def filter_mask(df: pd.DataFrame, filters: dict[str, list] | None, query: str | None = None,
                skip: str | None = None) -> pd.Series:
    """Rows matching the search and every facet filter except `skip` (values OR'ed within a
    facet, facets AND'ed)."""
    mask = search_mask(df["_search"], query) if query else pd.Series(True, index=df.index)
    for key, values in (filters or {}).items():
        if key == skip or not values or key not in FACET_BY_KEY:
            continue
        mask &= df[FACET_BY_KEY[key].column].astype(str).isin([str(v) for v in values])
    return mask


def facet_counts(df: pd.DataFrame, facet_key: str, filters: dict[str, list] | None = None,
                 query: str | None = None) -> pd.DataFrame:
    """value, label, count for one facet under the search and the OTHER facets' filters.
    Selected values are kept (with count 0) so they can be unselected."""
    facet = FACET_BY_KEY[facet_key]
    sub = df.loc[filter_mask(df, filters, query, skip=facet_key), facet.column].astype(str)
    counts = sub.value_counts()
    values = list(facet.order) + [v for v in counts.index if v not in facet.order]
    if facet_key == "year":
        values = sorted(counts.index, reverse=True)
    selected = [str(v) for v in (filters or {}).get(facet_key) or []]
    values += [v for v in selected if v not in values]
    rows = [(v, value_label(facet_key, v), int(counts.get(v, 0))) for v in values]
    out = pd.DataFrame(rows, columns=["value", "label", "count"])
    keep = (out["count"] > 0) | out["value"].isin(selected)
    return out[keep].reset_index(drop=True)


def filtered(df: pd.DataFrame, filters: dict[str, list] | None, query: str | None) -> pd.DataFrame:
    return df[filter_mask(df, filters, query)]


def display_table(df: pd.DataFrame) -> pd.DataFrame:
    """The registry as users read it: Vietnamese headers and labels, no helper columns."""
    out = pd.DataFrame({
        "Mã mô hình": df["model_id"],
        "Tên mô hình": df["model_name"],
        "Lĩnh vực": df["field"].map(lambda v: enum_label(FIELDS, v)),
        "Cấp": df["level"].map(lambda v: enum_label(LEVELS, v)),
        "Đơn vị": df["unit_name"],
        "Xã/phường": df["commune_name"],
        "Đơn vị chủ trì": df["owner"],
        "Ngày bắt đầu": pd.to_datetime(df["started_on"]).dt.date,
        "Ngày kết thúc": pd.to_datetime(df["ended_on"]).dt.date,
        "Tình trạng": df["status"].map(STATUSES),
        "Cấp công nhận": df["recognized_level"].map(
            lambda v: enum_label(RECOGNIZED_LEVELS, v) if isinstance(v, str) else None),
        "Số hộ hưởng lợi": df["households_reached"],
        "Mô tả": df["description"],
    })
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Overview helpers (pandas shaping of query results)

def field_label(code: str) -> str:
    return enum_label(FIELDS, code)


def level_label(code: str) -> str:
    return enum_label(LEVELS, code)


def gaps(gap_rows: pd.DataFrame, field: str | None = None) -> pd.DataFrame:
    """Communes of a `models_gaps` result with no active model (field None) or none in
    `field`, largest households first."""
    col = "active_models" if not field else field
    out = gap_rows[gap_rows[col].fillna(0) == 0]
    return out.sort_values(["households", "commune_code"], ascending=[False, True]) \
        .reset_index(drop=True)


def gap_summary(gap_rows: pd.DataFrame) -> pd.DataFrame:
    """One row per gap kind: communes without any active model, and without one per field."""
    rows = []
    for key, label in [(None, "Không có mô hình nào đang hoạt động")] + \
            [(f, f"Không có mô hình lĩnh vực {field_label(f)}") for f in FIELDS]:
        g = gaps(gap_rows, key)
        rows.append({"gap": key or "any", "label": label, "communes": len(g),
                     "households": int(g["households"].fillna(0).sum())})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Near-duplicates

def _numbers(text: str) -> frozenset:
    return frozenset(_DIGITS.findall(text))


def _prefix_tokens(tokens: list[str], freq: dict[str, int], jaccard: float) -> list[str]:
    """Prefix filtering: two token sets with Jaccard >= t share at least one token among the
    first |s| - ceil(t*|s|) + 1 tokens of each, tokens ordered rarest first."""
    if not tokens:
        return []
    ordered = sorted(tokens, key=lambda w: (freq[w], w))
    k = len(ordered) - math.ceil(jaccard * len(ordered)) + 1
    return ordered[:max(1, k)]


def duplicate_pairs(keys: list[str], threshold: float = 85.0, jaccard: float = 0.5,
                    max_block: int = 4000, blocks: list | None = None) -> list[tuple[int, int, float]]:
    """(i, j, score) for distinct normalised keys whose similarity is >= threshold.

    keys must be unique. Candidates share one of their rarest words (prefix filtering on word
    sets at Jaccard `jaccard`); within each candidate block rapidfuzz.process.cdist scores
    every pair in C++. `blocks` (optional, one value per key, e.g. the field) restricts pairs to
    keys with the same value. A block larger than max_block is split into chunks compared with
    each other chunk by chunk, so memory stays bounded.
    Score: token_sort_ratio (word order ignored); keys whose numbers differ ("khu phố 3" vs
    "khu phố 4") are never paired.
    """
    token_lists = [sorted(set(k.split())) for k in keys]
    freq: dict[str, int] = defaultdict(int)
    for toks in token_lists:
        for w in toks:
            freq[w] += 1
    index: dict[tuple, list[int]] = defaultdict(list)
    for i, toks in enumerate(token_lists):
        b = blocks[i] if blocks is not None else None
        for w in _prefix_tokens(toks, freq, jaccard):
            index[(b, w)].append(i)

    nums = [_numbers(k) for k in keys]
    found: dict[tuple[int, int], float] = {}
    for ids in index.values():
        if len(ids) < 2:
            continue
        arr = np.asarray(ids)
        names = [keys[i] for i in ids]
        for a0 in range(0, len(ids), max_block):
            a_names = names[a0:a0 + max_block]
            for b0 in range(a0, len(ids), max_block):
                m = process.cdist(a_names, names[b0:b0 + max_block], scorer=fuzz.token_sort_ratio,
                                  score_cutoff=threshold, dtype=np.uint8, workers=1)
                ii, jj = np.nonzero(m)
                for x, y in zip(ii.tolist(), jj.tolist()):
                    i, j = int(arr[a0 + x]), int(arr[b0 + y])
                    if i >= j or (i, j) in found or nums[i] != nums[j]:
                        continue
                    found[(i, j)] = fuzz.token_sort_ratio(keys[i], keys[j])
    return [(i, j, s) for (i, j), s in found.items()]


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


DUPLICATE_COLUMNS = ["group_id", "group_size", "group_score", "score", "model_id", "model_name",
                     "field", "level", "unit_code", "unit_name", "commune_name", "started_on",
                     "normalized"]


def find_duplicates(models: pd.DataFrame, threshold: float = 85.0, within_field: bool = False,
                    jaccard: float = 0.5) -> pd.DataFrame:
    """Groups of models whose names are the same or very similar.

    Names equal after normalisation (case, diacritics, punctuation, abbreviations, leading
    'mô hình') score 100; others are linked when token_sort_ratio >= threshold. Each group's
    reference model is the one at the highest level (province first), then the earliest;
    `score` is each member's similarity to it and `group_score` the lowest in the group.
    Returns one row per model in a group of two or more, groups with most members first.
    """
    if models.empty:
        return pd.DataFrame(columns=DUPLICATE_COLUMNS)
    df = models.reset_index(drop=True).copy()
    df["normalized"] = df["model_name"].map(normalize_name)
    block_col = df["field"].astype(str) if within_field else pd.Series("", index=df.index)
    df["_key"] = block_col + "\x1f" + df["normalized"]
    uniq = df.drop_duplicates("_key")[["_key", "normalized"]].reset_index(drop=True)
    key_pos = {k: i for i, k in enumerate(uniq["_key"])}
    blocks = [k.split("\x1f", 1)[0] for k in uniq["_key"]] if within_field else None
    pairs = duplicate_pairs(uniq["normalized"].tolist(), threshold, jaccard, blocks=blocks)

    uf = _UnionFind(len(uniq))
    for i, j, _ in pairs:
        uf.union(i, j)
    df["_root"] = df["_key"].map(key_pos).map(uf.find)
    sizes = df.groupby("_root")["model_id"].transform("size")
    df = df[sizes >= 2].copy()
    if df.empty:
        return pd.DataFrame(columns=DUPLICATE_COLUMNS)
    df["_rank"] = df["level"].map(LEVEL_RANK).fillna(9)
    df = df.sort_values(["_root", "_rank", "started_on", "model_id"])
    ref = df.groupby("_root")["normalized"].transform("first")
    df["score"] = [round(fuzz.token_sort_ratio(a, b), 1) for a, b in zip(df["normalized"], ref)]
    df["group_size"] = df.groupby("_root")["model_id"].transform("size")
    df["group_score"] = df.groupby("_root")["score"].transform("min")
    order = (df.groupby("_root").agg(size=("model_id", "size"), first=("model_name", "first"))
             .sort_values(["size", "first"], ascending=[False, True]))
    gid = {root: n + 1 for n, root in enumerate(order.index)}
    df["group_id"] = df["_root"].map(gid)
    df = df.sort_values(["group_id", "_rank", "started_on", "model_id"])
    for col in DUPLICATE_COLUMNS:
        if col not in df:
            df[col] = None
    return df[DUPLICATE_COLUMNS].reset_index(drop=True)


def duplicates_display(dups: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Nhóm": dups["group_id"],
        "Số mô hình trong nhóm": dups["group_size"],
        "Độ giống (%)": dups["score"],
        "Mã mô hình": dups["model_id"],
        "Tên mô hình": dups["model_name"],
        "Lĩnh vực": dups["field"].map(field_label),
        "Cấp": dups["level"].map(level_label),
        "Đơn vị": dups["unit_name"],
        "Xã/phường": dups["commune_name"],
        "Ngày bắt đầu": pd.to_datetime(dups["started_on"]).dt.date,
    })


def similar_models(models: pd.DataFrame, model_id: str, limit: int = 10,
                   cutoff: float = 60.0) -> pd.DataFrame:
    """Models elsewhere whose names resemble this one's (the model itself excluded), most
    similar first, with `score` (token_sort_ratio of normalised names)."""
    df = models.reset_index(drop=True)
    hit = df.index[df["model_id"] == model_id]
    if len(hit) == 0:
        return df.iloc[0:0].assign(score=pd.Series(dtype=float))
    me = hit[0]
    keys = df["model_name"].map(normalize_name).tolist()
    res = process.extract(keys[me], keys, scorer=fuzz.token_sort_ratio, score_cutoff=cutoff,
                          limit=limit + 1)
    picked = [(i, s) for _, s, i in res if i != me][:limit]
    out = df.iloc[[i for i, _ in picked]].copy()
    out["score"] = [round(s, 1) for _, s in picked]
    return out.reset_index(drop=True)
