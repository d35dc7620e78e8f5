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
import threading
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from dashboard.contract import FIELDS, LEVEL_RANK, LEVELS, RECOGNIZED_LEVELS, enum_label
from dashboard.i18n.text import _NON_ALNUM, fold_words, strip_accents

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


# Batch forms of fold_words / expand_abbreviations / normalize_name: the same result for every
# text (tests compare them on the registry and on random Unicode), one C-level pass over all
# texts joined instead of a Python loop over each character (60,000 models: ~1 s -> ~0.1 s).
_SEP = "\x00"
_ABBR = re.compile(r"(?<![0-9a-z])(?:" + "|".join(
    re.escape(k) for k in sorted((k for k in _EXPAND if " " not in k), key=len, reverse=True))
    + r")(?![0-9a-z])")
_FILLER = re.compile(r"(?m)^(?:" + "|".join(re.escape(f) for f in _LEADING_FILLER) + ") ")


def _text(v: object) -> str:
    return "" if v is None else str(v)


def _fold_char(c: str) -> str:
    """What fold_words makes of one character of an NFD text, before runs of separators are
    collapsed: nothing for a combining mark, its lower-case letters or digits, else a space."""
    return _NON_ALNUM.sub(" ", strip_accents(c).lower())


# bytes of an ASCII text: letters and digits (already lower case) and the separator kept,
# anything else a space
_ASCII_FOLD = bytes(b if chr(b) in "0123456789abcdefghijklmnopqrstuvwxyz\x00" else 32
                    for b in range(256))


def fold_words_many(texts) -> list[str]:
    """[fold_words(t) for t in texts], computed on all texts at once: fold_words is a
    per-character map (marks dropped, lower case, anything but a-z 0-9 a separator) followed by
    collapsing separators, so each distinct non-ASCII character is mapped once."""
    texts = [_text(t) for t in texts]
    if not texts:
        return []
    joined = _SEP.join(texts)
    if joined.count(_SEP) != len(texts) - 1:       # a text holds the separator itself
        return [fold_words(t) for t in texts]
    d = unicodedata.normalize("NFD", joined)
    if not d.isascii():
        for c in set(d):
            if c > "\x7f":
                d = d.replace(c, _fold_char(c))
    folded = d.lower().encode("ascii").translate(_ASCII_FOLD).decode("ascii")
    return [" ".join(t.split()) for t in folded.split(_SEP)]


def expand_abbreviations_many(folded: list[str]) -> list[str]:
    """[expand_abbreviations(w) for w in folded] for texts already folded (fold_words)."""
    if not folded:
        return []
    return _ABBR.sub(lambda m: _EXPAND[m.group(0)], "\n".join(folded)).split("\n")


def normalize_names(names) -> list[str]:
    """[normalize_name(n) for n in names], computed on all names at once."""
    expanded = expand_abbreviations_many(fold_words_many(names))
    if not expanded:
        return []
    return _FILLER.sub("", "\n".join(expanded)).split("\n")


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
    folded = fold_words_many(raw.tolist())
    expanded = expand_abbreviations_many(folded)
    return pd.Series([f" {a} {b} " for a, b in zip(folded, expanded)], index=df.index,
                     dtype="str")


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
    _add_date_free_columns(df)
    return df


def _add_date_free_columns(df: pd.DataFrame) -> None:
    """prepare()'s columns that do not depend on the date (in place)."""
    df["start_year"] = pd.to_datetime(df["started_on"]).dt.year.astype("Int64").astype(str)
    df["owner_label"] = df["owner"].fillna("").astype(str).str.strip().replace("", NO_VALUE)
    df["recognized_label"] = _map_distinct(
        df["recognized_level"],
        lambda v: enum_label(RECOGNIZED_LEVELS, v) if isinstance(v, str) and v else NO_VALUE)
    commune_name = df["commune_name"].fillna("").astype(str)
    df["commune_label"] = np.where(df["commune_code"].notna(),
                                   commune_name + " (" + df["commune_code"].fillna("") + ")",
                                   "Cấp huyện/tỉnh")
    df["_search"] = search_text(df)


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


def _map_distinct(s: pd.Series, fn) -> pd.Series:
    """s.map(fn), calling fn once per distinct value (the same elements, the same result)."""
    codes, _ = pd.factorize(s, use_na_sentinel=False)
    first = pd.Series(codes).drop_duplicates().index.to_numpy()    # in the order of codes
    mapped = s.iloc[first].map(fn)
    return pd.Series(mapped.to_numpy()[codes], index=s.index, dtype=mapped.dtype)


def display_table(df: pd.DataFrame) -> pd.DataFrame:
    """The registry as users read it: Vietnamese headers and labels, no helper columns."""
    out = pd.DataFrame({
        "Mã mô hình": df["model_id"],
        "Tên mô hình": df["model_name"],
        "Lĩnh vực": _map_distinct(df["field"], lambda v: enum_label(FIELDS, v)),
        "Cấp": _map_distinct(df["level"], lambda v: enum_label(LEVELS, v)),
        "Đơn vị": df["unit_name"],
        "Xã/phường": df["commune_name"],
        "Đơn vị chủ trì": df["owner"],
        "Ngày bắt đầu": pd.to_datetime(df["started_on"]).dt.date,
        "Ngày kết thúc": pd.to_datetime(df["ended_on"]).dt.date,
        "Tình trạng": df["status"].map(STATUSES),
        "Cấp công nhận": _map_distinct(df["recognized_level"],
            lambda v: enum_label(RECOGNIZED_LEVELS, v) if isinstance(v, str) else None),
        "Số hộ hưởng lợi": df["households_reached"],
        "Mô tả": df["description"],
    })
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# The registry held in memory: built once per data version (models_registry), one view per
# date and commune filter, shared by every session. Same figures as prepare(models_list) with
# filter_mask / facet_counts / display_table (tests compare them), without a query or a
# pass over every model in Python on each rerun.

class Registry:
    """models_registry rows with the date-free columns of prepare(), each facet's values as
    integer codes, the list's Vietnamese columns and (on first use) the names' similarity
    keys. Never changed after it is built (views share its arrays)."""

    def __init__(self, rows: pd.DataFrame):
        rows = rows.reset_index(drop=True)
        self.scope_code = rows["scope_code"].astype(object).where(
            rows["scope_code"].notna(), None).to_numpy()
        frame = rows.drop(columns=["scope_code"])
        _add_date_free_columns(frame)
        self.frame = frame
        self.codes: dict[str, np.ndarray] = {}
        self.values: dict[str, list[str]] = {}
        for facet in FACETS:
            if facet.key != "status":
                self.codes[facet.key], self.values[facet.key] = _factorize(frame[facet.column])
        self.commune_codes, _ = pd.factorize(frame["commune_code"], use_na_sentinel=True)
        self.started = _day_numbers(frame["started_on"])
        self.ended = _day_numbers(frame["ended_on"])
        self.display = display_table(frame.assign(status=None)).drop(columns=["Tình trạng"])
        self.labels = [f"{n} ({i})" for i, n in zip(frame["model_id"].tolist(),
                                                     frame["model_name"].tolist())]
        self._keys: list[str] | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.frame)

    def similarity_keys(self) -> list[str]:
        """similar_models' keys of every model (normalised names, words sorted)."""
        with self._lock:
            if self._keys is None:
                self._keys = _sorted_words(normalize_names(self.frame["model_name"].tolist()))
            return self._keys

    def positions(self, communes: list | None) -> np.ndarray | None:
        """Rows models_list keeps for this commune filter (None: every row). The filter as
        the named queries bind it (queries.coerce_param: text split on commas, empty = all)."""
        from dashboard.store.queries import coerce_param

        communes = coerce_param("communes", communes)
        if communes is None:
            return None
        return np.flatnonzero(pd.Series(self.scope_code).isin(communes).to_numpy())

    def view(self, as_of: dt.date, communes: list | None = None) -> RegistryView:
        return RegistryView(self, as_of, communes)


def _factorize(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes of values.astype(str) (-1 for missing) and the distinct values."""
    codes, uniques = pd.factorize(values.astype(str), use_na_sentinel=True)
    return codes.astype(np.int64), [str(u) for u in uniques]


def _day_numbers(dates: pd.Series) -> np.ndarray:
    """Dates as days since 1970 (float, NaN when empty) for vectorised comparisons."""
    d = pd.to_datetime(dates)
    out = d.to_numpy(dtype="datetime64[D]").astype(np.int64).astype(float)
    out[d.isna().to_numpy()] = np.nan
    return out


_STATUS_CODES = list(STATUSES)        # active, ended, not_started


class RegistryView:
    """The registry at a date for a commune filter: `df` equals prepare(models_list(as_of,
    communes), as_of); masks, facet counts, the list and the card's choices from arrays."""

    def __init__(self, reg: Registry, as_of: dt.date, communes: list | None):
        self.registry, self.as_of = reg, as_of
        self.communes = None if communes is None else list(communes)
        pos = reg.positions(communes)
        self.pos = pos

        def take(a):
            return a if pos is None else a[pos]
        frame = reg.frame if pos is None else reg.frame.take(pos).reset_index(drop=True)
        day = float((pd.Timestamp(as_of) - pd.Timestamp("1970-01-01")).days)
        start, end = take(reg.started), take(reg.ended)
        # status_at's rule: not started after as_of, ended when ended_on <= as_of, else active
        status_code = np.where(start > day, 2, np.where(~np.isnan(end) & (end <= day), 1, 0))
        status = np.array(_STATUS_CODES, dtype=object)[status_code]
        df = frame.copy(deep=False)
        df.insert(df.columns.get_loc("ended_on") + 1, "status", pd.Series(status, dtype=object))
        self.df = df
        self.codes = {k: take(c) for k, c in reg.codes.items()}
        self.values = dict(reg.values)
        self.codes["status"] = status_code.astype(np.int64)
        self.values["status"] = _STATUS_CODES
        self.commune_codes = take(reg.commune_codes)
        display = reg.display if pos is None else reg.display.take(pos).reset_index(drop=True)
        display = display.copy(deep=False)
        display.insert(display.columns.get_loc("Ngày kết thúc") + 1, "Tình trạng",
                       pd.Series(status, dtype=object).map(STATUSES))
        self.display = display
        self.ids = df["model_id"].tolist()
        labels = reg.labels if pos is None else [reg.labels[p] for p in pos]
        self.option_label = dict(zip(self.ids, labels))
        self.id_set = frozenset(self.ids)
        self._present: dict[str, list[str]] = {}

    def __len__(self) -> int:
        return len(self.df)

    def present(self, facet_key: str) -> list[str]:
        """The facet's values among these rows, sorted as the page lists them (years newest
        first) — sorted(df[column].astype(str).unique())."""
        if facet_key not in self._present:
            codes = self.codes[facet_key]
            used = np.flatnonzero(np.bincount(codes[codes >= 0],
                                              minlength=len(self.values[facet_key])))
            vals = [self.values[facet_key][i] for i in used]
            self._present[facet_key] = sorted(vals, reverse=(facet_key == "year"))
        return self._present[facet_key]

    def _isin(self, facet_key: str, values) -> np.ndarray:
        wanted = {str(v) for v in values}
        codes = [i for i, v in enumerate(self.values[facet_key]) if v in wanted]
        return np.isin(self.codes[facet_key], codes)

    def mask(self, filters: dict[str, list] | None, query: str | None = None,
             skip: str | None = None) -> np.ndarray:
        """filter_mask(df, filters, query, skip) as a boolean array."""
        m = (search_mask(self.df["_search"], query).to_numpy(dtype=bool, copy=True) if query
             else np.ones(len(self.df), dtype=bool))
        for key, values in (filters or {}).items():
            if key == skip or not values or key not in FACET_BY_KEY:
                continue
            m &= self._isin(key, values)
        return m

    def counts(self, facet_key: str, filters: dict[str, list] | None = None,
               query: str | None = None, search: np.ndarray | None = None) -> dict[str, int]:
        """value -> count of facet_counts(df, facet_key, filters, query): values with models
        under the search and the other facets' filters, and the selected ones (count 0).
        search: the query's mask when already computed."""
        m = self.mask(filters, None, skip=facet_key)
        if query:
            m &= search if search is not None else self.mask(None, query)
        codes = self.codes[facet_key][m]
        n = np.bincount(codes[codes >= 0], minlength=len(self.values[facet_key]))
        out = {self.values[facet_key][i]: int(n[i]) for i in np.flatnonzero(n)}
        for v in (filters or {}).get(facet_key) or []:
            out.setdefault(str(v), 0)
        return out

    def summary(self, m: np.ndarray) -> tuple[int, int, int]:
        """Models found, of them active, communes with one (the registry's three metrics)."""
        communes = self.commune_codes[m]
        communes = communes[communes >= 0]
        return (int(m.sum()), int((self.codes["status"][m] == 0).sum()),
                int(np.count_nonzero(np.bincount(communes))) if len(communes) else 0)

    def hits(self, m: np.ndarray) -> pd.DataFrame:
        """display_table(filtered(df, …)) for the mask."""
        if m.all():
            return self.display
        return self.display.iloc[np.flatnonzero(m)].reset_index(drop=True)

    def similarity_keys(self) -> list[str]:
        keys = self.registry.similarity_keys()
        return keys if self.pos is None else [keys[p] for p in self.pos]


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
#
# Two scopes:
# - "area" (default): the same model reported twice in one place — by a village and its
#   commune, or by a commune and its district or province. Pairs are only formed between
#   models of the same commune, or between a district/province model and the models below it.
#   The same practice in two communes is NOT a duplicate (it is the practice spreading; the
#   model card lists such "similar models elsewhere").
# - "all": the whole registry, by name only (any place), with prefix-filtered blocks.
# Groups are stars around a reference model (highest level, then earliest start): every member
# is similar to the reference itself, so no chain of "A like B like C" pulls unrelated names
# together, and each member's score is its similarity to the reference.

def _numbers(text: str) -> frozenset:
    return frozenset(_DIGITS.findall(text))


def _number_ids(keys: list[str]) -> np.ndarray:
    """One integer per distinct set of numbers in the keys (to compare them vectorised)."""
    seen: dict[frozenset, int] = {}
    return np.fromiter((seen.setdefault(_numbers(k), len(seen)) for k in keys), dtype=np.int64,
                       count=len(keys))


def _prefix_tokens(tokens: list[str], freq: dict[str, int], jaccard: float) -> list[str]:
    """Prefix filtering: two token sets with Jaccard >= t share at least one token among the
    first |s| - ceil(t*|s|) + 1 tokens of each, tokens ordered rarest first."""
    if not tokens:
        return []
    ordered = sorted(tokens, key=lambda w: (freq[w], w))
    k = len(ordered) - math.ceil(jaccard * len(ordered)) + 1
    return ordered[:max(1, k)]


def _sorted_words(keys: list[str]) -> list[str]:
    """token_sort_ratio(a, b) == ratio(sorted words of a, sorted words of b): sorting once
    per key instead of once per comparison makes cdist ~15x faster."""
    return [" ".join(sorted(k.split())) for k in keys]


def _score_block(a_ids: np.ndarray, b_ids: np.ndarray, keys: list[str], threshold: float,
                 numbers: np.ndarray, max_block: int = 4000):
    """Pairs (i, j, score) between two id sets, scored in C++ (cdist), chunked for memory.
    keys hold words already sorted (see _sorted_words), so fuzz.ratio = token_sort_ratio."""
    out_i, out_j, out_s = [], [], []
    for a0 in range(0, len(a_ids), max_block):
        a = a_ids[a0:a0 + max_block]
        for b0 in range(0, len(b_ids), max_block):
            b = b_ids[b0:b0 + max_block]
            m = process.cdist([keys[i] for i in a], [keys[j] for j in b],
                              scorer=fuzz.ratio, score_cutoff=threshold,
                              dtype=np.uint8, workers=1)
            x, y = np.nonzero(m)
            i, j = a[x], b[y]
            keep = (i != j) & (numbers[i] == numbers[j])
            out_i.append(i[keep])
            out_j.append(j[keep])
            out_s.append(m[x[keep], y[keep]])
    if not out_i:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.uint8)
    return np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_s)


def _unique_pairs(i: np.ndarray, j: np.ndarray, s: np.ndarray, n: int):
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    code, first = np.unique(lo.astype(np.int64) * n + hi, return_index=True)
    return lo[first], hi[first], s[first]


def duplicate_pairs(keys: list[str], threshold: float = 85.0, jaccard: float = 0.5,
                    max_block: int = 4000, blocks: list | None = None):
    """Arrays (i, j, score), i < j, for keys whose similarity is >= threshold, over the whole
    list, without comparing every pair.

    Candidates share one of their rarest words (prefix filtering on word sets at Jaccard
    `jaccard`); within each candidate block rapidfuzz.process.cdist scores every pair in C++.
    `blocks` (optional, one value per key, e.g. the field) restricts pairs to keys with the
    same value. Score: token_sort_ratio rounded to an integer (word order ignored); keys whose
    numbers differ ("khu phố 3" vs "khu phố 4") are never paired.
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
    numbers = _number_ids(keys)
    sorted_keys = _sorted_words(keys)
    parts = [_score_block(ids, ids, sorted_keys, threshold, numbers, max_block)
             for ids in (np.asarray(v, dtype=np.int64) for v in index.values() if len(v) > 1)]
    if not parts:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.uint8)
    i, j, s = (np.concatenate(x) for x in zip(*parts))
    return _unique_pairs(i, j, s, len(keys))


def area_pairs(df: pd.DataFrame, threshold: float = 85.0, within_field: bool = False):
    """Arrays (i, j, score) over the rows of df (positions) for the "area" scope.

    df needs: normalized, level, commune_code, and optionally district_code, province_code,
    field. Pairs: models of the same commune (its villages included); a district model with
    the models of its district; a province model with every model of its province."""
    n = len(df)
    keys = df["normalized"].tolist()
    numbers = _number_ids(keys)
    keys = _sorted_words(keys)

    def col(name):
        return (df[name].astype(object).where(df[name].notna(), "") if name in df
                else pd.Series("", index=df.index)).to_numpy()
    commune, district, province = col("commune_code"), col("district_code"), col("province_code")
    field = col("field") if within_field else np.full(n, "", dtype=object)
    level = df["level"].to_numpy()
    pos = np.arange(n)
    parts = []
    # same commune (and same field when asked)
    communal = pos[commune != ""]
    groups = pd.Series(communal).groupby([commune[communal], field[communal]]).indices
    for idx in groups.values():
        if len(idx) > 1:
            ids = communal[idx]
            parts.append(_score_block(ids, ids, keys, threshold, numbers))
    # district and province models against the models below them
    by_prov = pd.Series(pos).groupby([province, field]).indices
    for (_prov, _fld), idx in by_prov.items():
        rows = pos[idx]
        top = rows[level[rows] == "province"]
        if len(top):
            parts.append(_score_block(top, rows, keys, threshold, numbers))
        # district models, and models whose commune is unknown, against their district
        mid = rows[(commune[rows] == "") & (level[rows] != "province")]
        for d in np.unique(district[mid]):
            heads = mid[district[mid] == d]
            below = rows[district[rows] == d] if d != "" else rows
            parts.append(_score_block(heads, below, keys, threshold, numbers))
    parts = [p for p in parts if len(p[0])]
    if not parts:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.uint8)
    i, j, s = (np.concatenate(x) for x in zip(*parts))
    return _unique_pairs(i, j, s, n)


def _star_groups(n: int, i: np.ndarray, j: np.ndarray, order: np.ndarray,
                 weight: np.ndarray | None = None):
    """Greedy star clustering: nodes in `order`; an unassigned node with unassigned
    neighbours becomes a centre and takes them. weight (rows per node) lets a lone node with
    several identical rows form a group. Returns (group per node or -1, centre per node)."""
    from scipy.sparse import coo_matrix

    group = np.full(n, -1, dtype=np.int64)
    centre = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return group, centre
    adj = coo_matrix((np.ones(2 * len(i), dtype=np.int8), (np.r_[i, j], np.r_[j, i])),
                     shape=(n, n)).tocsr()
    indptr, indices = adj.indptr, adj.indices
    g = 0
    for v in order.tolist():
        if group[v] >= 0:
            continue
        nb = indices[indptr[v]:indptr[v + 1]]
        nb = nb[group[nb] < 0]
        if len(nb) == 0 and (weight is None or weight[v] < 2):
            continue
        group[v] = g
        centre[v] = v
        group[nb] = g
        centre[nb] = v
        g += 1
    return group, centre


def _same_place(df: pd.DataFrame, i: np.ndarray, j: np.ndarray):
    """Keep the pairs registered in one place: the same unit, or the same commune (the
    commune and its villages). A province or district model and the communes' models of the
    same name are not duplicates: that is the model spreading (see `replications`)."""
    unit = df["unit_code"].astype(str).to_numpy()
    if "commune_code" in df:
        commune = df["commune_code"].astype(object).where(df["commune_code"].notna(), "")
        commune = commune.astype(str).to_numpy()
    else:
        commune = np.full(len(df), "", dtype=object)
    keep = (unit[i] == unit[j]) | ((commune[i] == commune[j]) & (commune[i] != ""))
    return i[keep], j[keep]


DUPLICATE_COLUMNS = ["group_id", "group_size", "group_score", "score", "model_id", "model_name",
                     "field", "level", "unit_code", "unit_name", "commune_name", "started_on",
                     "normalized"]


def find_duplicates(models: pd.DataFrame, threshold: float = 85.0, within_field: bool = False,
                    scope: str = "area", jaccard: float = 0.5) -> pd.DataFrame:
    """Groups of models whose names are the same or very similar.

    Names equal after normalisation (case, diacritics, punctuation, abbreviations, leading
    'mô hình') score 100; others pair when token_sort_ratio >= threshold. scope "area" pairs
    only models registered in one place (the same unit, or one commune and its villages):
    true duplicates; scope "all" the whole registry (see `replications` for what it means). Each group is
    led by its reference model (highest level, then earliest start, then id); `score` is each
    member's similarity to it (100 for the reference) and `group_score` the lowest in the group.
    Returns one row per model in a group of two or more, largest groups first.
    """
    if models.empty:
        return pd.DataFrame(columns=DUPLICATE_COLUMNS)
    df = models.reset_index(drop=True).copy()
    df["normalized"] = df["model_name"].map(normalize_name)
    df["_rank"] = df["level"].map(LEVEL_RANK).fillna(9)
    df = df.sort_values(["_rank", "started_on", "model_id"]).reset_index(drop=True)
    n = len(df)
    if scope == "area":
        i, j, _ = area_pairs(df, threshold, within_field)
        i, j = _same_place(df, i, j)
        group, centre = _star_groups(n, i, j, np.arange(n))
        df["_group"], df["_centre"] = group, centre
    elif scope == "all":
        block = df["field"].astype(str) if within_field else pd.Series("", index=df.index)
        df["_key"] = block + "\x1f" + df["normalized"]
        key_codes, uniq = pd.factorize(df["_key"])        # first seen = best ranked row
        keys = [k.split("\x1f", 1)[1] for k in uniq]
        blocks = [k.split("\x1f", 1)[0] for k in uniq] if within_field else None
        i, j, _ = duplicate_pairs(keys, threshold, jaccard, blocks=blocks)
        weight = np.bincount(key_codes, minlength=len(uniq))
        kgroup, kcentre = _star_groups(len(uniq), i, j, np.arange(len(uniq)), weight)
        first_row = pd.Series(np.arange(n)).groupby(key_codes).first().to_numpy()
        df["_group"] = kgroup[key_codes]
        df["_centre"] = np.where(kcentre[key_codes] >= 0,
                                 first_row[np.maximum(kcentre[key_codes], 0)], -1)
    else:
        raise ValueError(scope)
    df = df[df["_group"] >= 0].copy()
    if df.empty:
        return pd.DataFrame(columns=DUPLICATE_COLUMNS)
    norm = df["normalized"]
    centre_norm = norm.reindex(df["_centre"]).tolist()
    df["score"] = [round(fuzz.token_sort_ratio(a, b), 1) for a, b in zip(norm, centre_norm)]
    df["_is_centre"] = df.index == df["_centre"]
    df["group_size"] = df.groupby("_group")["model_id"].transform("size")
    df["group_score"] = df.groupby("_group")["score"].transform("min")
    centres = df[df["_is_centre"]][["_group", "model_name", "group_size"]]
    centres = centres.sort_values(["group_size", "model_name"], ascending=[False, True])
    gid = {g: k + 1 for k, g in enumerate(centres["_group"])}
    df["group_id"] = df["_group"].map(gid)
    df = df.sort_values(["group_id", "_is_centre", "score", "_rank", "started_on", "model_id"],
                        ascending=[True, False, False, True, True, True])
    for c in DUPLICATE_COLUMNS:
        if c not in df:
            df[c] = None
    return df[DUPLICATE_COLUMNS].reset_index(drop=True)


REPLICATION_COLUMNS = ["group_id", "model_name", "field", "communes", "models", "origin",
                       "origin_level", "first_started", "last_started"]


def replications(models: pd.DataFrame, threshold: float = 85.0,
                 within_field: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same model adopted in several communes — a model spreading, good news, never a
    duplicate. Groups of the same or very similar names over the whole registry that reach
    two communes or more. Returns (one row per model: REPLICATION_COLUMNS — reference name,
    field, communes adopting, models, the reference model's unit and level as the origin,
    first and last start; and the members, one row per model with its group_id), most
    communes first."""
    groups = find_duplicates(models, threshold, within_field, scope="all")
    empty = pd.DataFrame(columns=REPLICATION_COLUMNS)
    if groups.empty:
        return empty, groups
    communes = dict(zip(models["model_id"], models.get("commune_code", pd.Series(
        [None] * len(models), index=models.index))))
    g = groups.assign(commune_code=groups["model_id"].map(communes),
                      started_on=pd.to_datetime(groups["started_on"]))
    first = g.groupby("group_id").head(1).set_index("group_id")    # the reference model
    by = g.groupby("group_id")
    out = pd.DataFrame({
        "model_name": first["model_name"], "field": first["field"],
        "communes": by["commune_code"].nunique(), "models": by["model_id"].size(),
        "origin": first["unit_name"], "origin_level": first["level"],
        "first_started": by["started_on"].min().dt.date,
        "last_started": by["started_on"].max().dt.date,
    }).rename_axis("old_id").reset_index()
    out = out[out["communes"] >= 2].sort_values(["communes", "models", "old_id"],
                                                ascending=[False, False, True])
    new_id = {old: k + 1 for k, old in enumerate(out["old_id"])}
    out["group_id"] = out["old_id"].map(new_id)
    members = g[g["group_id"].isin(new_id)].assign(group_id=lambda d: d["group_id"].map(new_id))
    members = members.sort_values(["group_id", "started_on", "model_id"])
    return (out[REPLICATION_COLUMNS].reset_index(drop=True),
            members.drop(columns=["normalized"]).reset_index(drop=True))


def replications_display(reps: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Mô hình": reps["model_name"],
        "Lĩnh vực": reps["field"].map(field_label),
        "Số xã, phường áp dụng": reps["communes"],
        "Số mô hình": reps["models"],
        "Nơi khởi xướng": reps["origin"],
        "Cấp khởi xướng": reps["origin_level"].map(level_label),
        "Bắt đầu sớm nhất": reps["first_started"],
        "Gần đây nhất": reps["last_started"],
    })


def yearly_started_ended(over: pd.DataFrame) -> pd.DataFrame:
    """models_over_time rows (period, started, ended) → one row per year and kind
    ('Bắt đầu' / 'Kết thúc') with the number of models."""
    yearly = over.assign(year=over["period"].str[:4]).groupby("year", as_index=False)[
        ["started", "ended"]].sum()
    out = yearly.melt("year", var_name="kind", value_name="models")
    out["kind"] = out["kind"].map({"started": "Bắt đầu", "ended": "Kết thúc"})
    return out


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
                   cutoff: float = 60.0, keys: list[str] | None = None) -> pd.DataFrame:
    """Models elsewhere whose names resemble this one's (the model itself excluded), most
    similar first, with `score` (token_sort_ratio of normalised names). keys: the models'
    similarity keys when already computed (RegistryView.similarity_keys)."""
    df = models.reset_index(drop=True)
    hit = df.index[df["model_id"] == model_id]
    if len(hit) == 0:
        return df.iloc[0:0].assign(score=pd.Series(dtype=float))
    me = hit[0]
    if keys is None:
        keys = _sorted_words(normalize_names(df["model_name"].tolist()))
    res = process.extract(keys[me], keys, scorer=fuzz.ratio, score_cutoff=cutoff,
                          limit=limit + 1)
    picked = [(i, s) for _, s, i in res if i != me][:limit]
    out = df.iloc[[i for i, _ in picked]].copy()
    out["score"] = [round(s, 1) for _, s in picked]
    return out.reset_index(drop=True)
