"""Import pipeline: read file → map headers → parse and validate every cell and row →
compare with what is stored (new / updated / unchanged / rejected) → commit as one batch.

All-or-nothing by default: any error means nothing is written, and the report lists every
problem (row number as the user sees it in the file, column, value, Vietnamese message).
The browser upload and the CLI call the same `import_file`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from dashboard import config, contract
from dashboard.contract import CODE_WIDTH, LEVEL_RANK, Column, Dataset
from dashboard.i18n.text import fold, fold_words
from dashboard.ingest import readers, values
from dashboard.store.database import Database, to_json_row


@dataclass
class Problem:
    row: int | None
    column: str | None
    value: str
    message: str
    suggestion: str = ""
    severity: str = "error"  # error | warning

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value,
                "message": self.message, "suggestion": self.suggestion,
                "severity": self.severity}


@dataclass
class ImportReport:
    dataset: str
    file_name: str
    sha256: str = ""
    rows_total: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)
    batch_id: int | None = None
    committed: bool = False
    dry_run: bool = False
    mode: str = "all_or_nothing"
    column_map: dict[str, str] = field(default_factory=dict)  # file header -> column
    rows: pd.DataFrame | None = None           # valid rows, canonical columns
    rejected_rows: pd.DataFrame | None = None  # the file's rows that were rejected, as read
    raw: readers.RawTable | None = None
    conversions: list = field(default_factory=list)   # legacy.Conversion: old codes converted
    splits: list = field(default_factory=list)        # legacy.LegacyCommune awaiting a choice
    other_provinces: list = field(default_factory=list)   # (code, name) not in the data yet
    needs_confirmation: bool = False  # other provinces found and not confirmed: not written

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def problems_frame(self) -> pd.DataFrame:
        return pd.DataFrame([p.as_dict() for p in self.problems],
                            columns=["row", "column", "value", "message", "suggestion",
                                     "severity"])

    PROBLEM_HEADERS = {"row": "Dòng", "column": "Cột", "value": "Giá trị", "message": "Vấn đề",
                       "suggestion": "Gợi ý", "severity": "Mức độ"}

    def problems_table(self) -> pd.DataFrame:
        """Problems with Vietnamese headers, errors first, in file order."""
        df = self.problems_frame()
        df["severity"] = df["severity"].map({"error": "Lỗi", "warning": "Cảnh báo"})
        df["column"] = df["column"].fillna("")
        df["_o"] = df["severity"].ne("Lỗi")
        df = df.sort_values(["_o", "row"], na_position="first", kind="stable").drop(columns="_o")
        df["row"] = df["row"].astype("Int64")
        return df.rename(columns=self.PROBLEM_HEADERS)

    def summary_text(self) -> str:
        """The DHIS2-style import summary, in Vietnamese, for the CLI and logs."""
        state = ("ĐÃ GHI" if self.committed else
                 "CHẠY THỬ — chưa ghi gì" if self.dry_run else "KHÔNG GHI (tệp có lỗi)")
        lines = [
            f"Nhập dữ liệu «{self.dataset}» từ tệp {self.file_name}: {state}",
            f"  Số dòng đọc được: {self.rows_total}",
            f"  Mới: {self.new} · Cập nhật: {self.updated} · Không đổi: {self.unchanged}"
            f" · Bị từ chối: {self.rejected}",
        ]
        if self.batch_id is not None:
            lines.append(f"  Lô nhập số {self.batch_id} (sha256 {self.sha256[:12]}…)")
        if self.errors:
            lines.append(f"Lỗi ({len(self.errors)}):")
        for p in self.errors:
            lines.append("  " + _problem_line(p))
        if self.warnings:
            lines.append(f"Cảnh báo ({len(self.warnings)}):")
        for p in self.warnings:
            lines.append("  " + _problem_line(p))
        return "\n".join(lines)


def _problem_line(p: Problem) -> str:
    where = []
    if p.row is not None:
        where.append(f"dòng {p.row}")
    if p.column:
        where.append(f"cột «{p.column}»")
    text = ", ".join(where)
    value = f" giá trị «{p.value}»" if p.value != "" else ""
    sug = f" — {p.suggestion}" if p.suggestion else ""
    return f"{text}:{value} — {p.message}{sug}" if text else f"{p.message}{sug}"


class DatasetError(ValueError):
    pass


def get_dataset(name: str) -> Dataset:
    try:
        return contract.DATASETS[name]
    except KeyError:
        raise DatasetError(
            f"Không có bộ dữ liệu «{name}». Chọn một trong: "
            + ", ".join(contract.DATASETS)) from None


# --- header mapping -------------------------------------------------------------------------

def map_headers(ds: Dataset, headers: list[str]) -> tuple[dict[str, str], list[Problem]]:
    """file header -> canonical column; problems for missing required and duplicate columns."""
    lookup: dict[str, str] = {}
    for col in ds.columns:
        for key in col.header_keys():
            lookup.setdefault(key, col.name)
    mapping: dict[str, str] = {}
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for h in headers:
        col = lookup.get(fold(h))
        if col is None:
            continue
        if col in seen:
            problems.append(Problem(None, h, "", f"Cột «{h}» trùng với cột «{seen[col]}» "
                                    f"(cùng là {ds.column(col).label})."))
            continue
        seen[col] = h
        mapping[h] = col
    missing = [c for c in ds.columns if c.required and c.name not in seen]
    hint = _other_dataset_hint(ds, headers) if missing else ""
    if hint:   # a file of another dataset: one clear message instead of one per column
        problems.append(Problem(None, None, "", f"{hint} Tệp thiếu các cột bắt buộc của «{ds.label}»: "
                                + ", ".join(f"«{c.label}»" for c in missing) + ".",
                                suggestion="Chọn đúng bộ dữ liệu trước khi tải lên, hoặc tải "
                                "đúng tệp."))
    else:
        for c in missing:
            problems.append(Problem(None, c.label, "",
                                    f"Thiếu cột bắt buộc «{c.label}» ({c.name}).",
                                    suggestion=_header_suggestion(c, headers, seen)))
    for h in headers if not hint else ():
        if h not in mapping and h not in {p.column for p in problems} and \
                not h.startswith("(cột ") and str(h).strip():
            problems.append(Problem(None, h, "", f"Cột «{h}» không có trong mẫu «{ds.label}», "
                                    "bị bỏ qua.", severity="warning"))
    return mapping, problems


def _header_suggestion(col: Column, headers: list[str], seen: dict[str, str]) -> str:
    """'Có phải cột «Ma to»?' for a header close to the missing column's label."""
    from rapidfuzz import fuzz, process

    free = [h for h in headers if h not in seen.values() and str(h).strip()]
    if not free:
        return ""
    hit = process.extractOne(fold_words(col.label), [fold_words(h) for h in free],
                             scorer=fuzz.ratio, score_cutoff=70)
    return f"Có phải cột «{free[hit[2]]}»? Hãy đặt lại tiêu đề là «{col.label}»." if hit else ""


def _other_dataset_hint(ds: Dataset, headers: list[str]) -> str:
    folded = {fold(h) for h in headers}
    best, best_score = None, 0
    for other in contract.DATASETS.values():
        if other.name == ds.name:
            continue
        score = sum(bool(c.header_keys() & folded) for c in other.columns if c.required)
        need = sum(c.required for c in other.columns)
        if score == need and score > best_score:
            best, best_score = other, score
    return (f"Tệp này có vẻ là dữ liệu «{best.label}» ({best.name}), không phải «{ds.label}» "
            f"({ds.name})." if best else "")


# --- cell parsing ---------------------------------------------------------------------------

def _by_unique(texts: pd.Series):
    """(codes, uniques): each row's position in the column's distinct values, so work done
    once per distinct value is spread back over the column with one take."""
    codes, uniques = pd.factorize(texts.to_numpy(dtype=object), use_na_sentinel=False)
    return codes, list(uniques)


def _map_unique(texts: pd.Series, fn) -> pd.Series:
    """fn applied once per distinct value of the column, spread over every row."""
    if not len(texts):
        return pd.Series([], index=texts.index, dtype=object)
    codes, uniques = _by_unique(texts)
    out = np.empty(len(uniques), dtype=object)
    out[:] = [fn(u) for u in uniques]
    return pd.Series(out[codes], index=texts.index, dtype=object)


def _column_parser(col: Column):
    if col.type == "enum":
        lookup = col.enum_lookup()

        def parser(t, lookup=lookup):
            code = lookup.get(fold(t))
            if code is None:
                raise ValueError("giá trị không hợp lệ; dùng một trong: " + ", ".join(
                    f"{c} ({contract.enum_label(col.enum, c)})" for c in col.enum))
            return code
        return parser
    return {"integer": values.parse_integer, "decimal": values.parse_decimal,
            "date": values.parse_date, "month": values.parse_month}[col.type]


def _parse_uniques(col: Column, texts: np.ndarray):
    """Parse distinct texts (already stripped). -> (values, messages): None where empty or
    invalid; the Vietnamese message where invalid."""
    parsed = np.empty(len(texts), dtype=object)
    message = np.empty(len(texts), dtype=object)
    if col.type == "text":
        parsed[:] = [t if t else None for t in texts]
        return parsed, message
    parser = _column_parser(col)
    for i, t in enumerate(texts):
        if t == "":
            continue
        try:
            v = parser(t)
        except ValueError as exc:
            message[i] = str(exc)
            continue
        if col.min is not None and v < col.min:
            message[i] = f"phải ≥ {col.min:g}"
            continue
        parsed[i] = v
    return parsed, message


def _parse_column(col: Column, texts: pd.Series):
    """Parse a column of text. Returns (parsed Series, {index: message}). Each distinct
    text is parsed once; the results are spread over the column."""
    if not len(texts):
        return pd.Series([], index=texts.index, dtype=object), {}
    codes, uniques = _by_unique(texts)
    parsed, message = _parse_uniques(col, np.asarray(uniques, dtype=object))
    bad = np.flatnonzero(pd.notna(message)[codes])
    idx = texts.index.to_numpy()
    errors = {idx[j]: message[codes[j]] for j in bad}
    return pd.Series(parsed[codes], index=texts.index, dtype=object), errors


def pad_code(code: str | None, level: str | None) -> str | None:
    """Official numeric codes zero-padded to their level's width."""
    if code is None:
        return None
    code = code.strip()
    width = CODE_WIDTH.get(level or "")
    if width and code.isdigit() and len(code) < width:
        return code.zfill(width)
    return code


def resolve_code(code: str | None, known: dict[str, str]) -> str | None:
    """Match a unit code against known codes, tolerating lost leading zeros."""
    if code is None or (isinstance(code, float) and code != code):
        return None
    if code in known:
        return code
    if code.isdigit():
        for width in (5, 3, 2):
            padded = code.zfill(width)
            if padded in known:
                return padded
    return code


# --- validation -----------------------------------------------------------------------------

def _existing_units(db: Database) -> pd.DataFrame:
    return db.units()


def suggestion_names(units: pd.DataFrame, db: Database | None = None) -> dict[str, str]:
    """code -> name of the user's units, then of the official 2025 communes and provinces."""
    names = {r.unit_code: r.unit_name for r in units.itertuples()}
    if db is not None:
        ref = db.df("SELECT commune_code AS unit_code, commune_name AS unit_name "
                    "FROM ref_communes UNION ALL SELECT province_code, province_name "
                    "FROM ref_provinces")
        for r in ref.itertuples():
            names.setdefault(r.unit_code, r.unit_name)
    return names


def suggest_unit(value: str, units: pd.DataFrame, db: Database | None = None,
                 names: dict[str, str] | None = None) -> str:
    """'Có phải «Xã Phúc Hòa» (07330)?' — by name without diacritics (or by code without its
    leading zeros) among the user's units and the official reference."""
    from rapidfuzz import fuzz, process

    value = str(value or "").strip()
    key = fold_words(value)
    if not key:
        return ""
    if names is None:
        names = suggestion_names(units, db)
    if not names:
        return ""
    if value.isdigit():
        for c in names:
            if c.lstrip("0") == value.lstrip("0"):
                return f"Có phải «{names[c]}» ({c})?"
        return ""
    codes = list(names)
    choices = _folded_choices(names)
    hit = process.extractOne(key, choices, scorer=fuzz.WRatio, score_cutoff=85)
    if hit is None:
        # the name without its type word: "phuc hoa" for "Xã Phúc Hòa"
        hit = process.extractOne(key, [_strip_type(c) for c in choices], scorer=fuzz.ratio,
                                 score_cutoff=85)
    if hit is None:
        return ""
    code = codes[hit[2]]
    return f"Có phải «{names[code]}» ({code})?"


_TYPE_WORDS = ("xa ", "phuong ", "thi tran ", "dac khu ", "thon ", "xom ", "to dan pho ",
               "khu pho ", "ap ", "ban ", "lang ", "tinh ", "thanh pho ")


def _strip_type(folded: str) -> str:
    for w in _TYPE_WORDS:
        if folded.startswith(w):
            return folded[len(w):]
    return folded


_CHOICES_CACHE: dict[int, tuple[dict, list[str]]] = {}


def _folded_choices(names: dict[str, str]) -> list[str]:
    hit = _CHOICES_CACHE.get(id(names))
    if hit is not None and hit[0] is names:
        return hit[1]
    choices = [fold_words(n) for n in names.values()]
    _CHOICES_CACHE.clear()
    _CHOICES_CACHE[id(names)] = (names, choices)
    return choices


def validate(db: Database, ds: Dataset, raw: readers.RawTable,
             report: ImportReport, legacy_choices: dict[str, str] | None = None,
             legacy_codes: bool = False) -> pd.DataFrame:
    """Parse and check every row. Returns the parsed frame (canonical columns) with a boolean
    column `_ok` and `_row` (file row number); problems are added to the report."""
    headers = list(raw.frame.columns)
    mapping, problems = map_headers(ds, headers)
    report.column_map = mapping
    report.problems.extend(problems)
    if any(p.severity == "error" for p in problems):
        return pd.DataFrame(columns=[*ds.names, "_row", "_ok"])
    frame = raw.frame.rename(columns=mapping)
    frame = frame[[c for c in frame.columns if c in ds.names]].copy()
    for col in ds.names:
        if col not in frame.columns:
            frame[col] = ""
    frame = frame[ds.names]
    if frame.empty:
        return pd.DataFrame(columns=[*ds.names, "_row", "_ok"])
    rows = pd.Series(raw.row_numbers, index=frame.index)
    ok = pd.Series(True, index=frame.index)
    label = {c.name: c.label for c in ds.columns}

    def err(idx, col, val, msg, sug=""):
        ok[idx] = False
        report.problems.append(Problem(int(rows[idx]), label.get(col, col), str(val), msg, sug))

    # totals row ("Tổng cộng") at the bottom of a sheet: not data
    first_text = pd.Series("", index=frame.index, dtype=object)
    for j in reversed(range(min(3, frame.shape[1]))):
        cell = frame.iloc[:, j]
        first_text = first_text.where(~(cell.notna() & (cell != "")), cell)
    first_text = first_text.fillna("")
    totals = _map_unique(first_text, _is_totals_label).astype(bool)
    for idx in frame.index[totals]:
        report.problems.append(Problem(int(rows[idx]), None, first_text[idx],
                                       "Dòng tổng cộng — không phải dữ liệu, đã bỏ qua.",
                                       severity="warning"))
    frame, rows, ok = frame[~totals], rows[~totals], ok[~totals]

    parsed = pd.DataFrame(index=frame.index)
    index = frame.index.to_numpy()
    for col in ds.columns:
        # one pass over the column: its distinct cells are stripped, checked and parsed once
        codes, uniques = _by_unique(frame[col.name])
        utext = np.empty(len(uniques), dtype=object)
        utext[:] = ["" if u is None or u != u else str(u).strip() for u in uniques]
        formula = np.fromiter((values.looks_like_formula(t) for t in utext), bool, len(utext))
        if formula.any():
            for j in np.flatnonzero(formula[codes]):
                err(index[j], col.name, utext[codes[j]], "ô chứa công thức Excel; hãy dán giá "
                    "trị (Dán đặc biệt → Giá trị).")
            utext[formula] = ""
        parsed_u, message_u = _parse_uniques(col, utext)
        series = pd.Series(parsed_u[codes], index=frame.index, dtype=object)
        bad = pd.notna(message_u)[codes] if len(codes) else np.zeros(0, dtype=bool)
        for j in np.flatnonzero(bad):
            err(index[j], col.name, utext[codes[j]], message_u[codes[j]])
        missing = series.isna() & ~bad
        if col.required:
            for idx in series.index[missing & ok.reindex(series.index, fill_value=True)]:
                err(idx, col.name, "", "thiếu giá trị bắt buộc")
        parsed[col.name] = series

    units = _existing_units(db)
    conv = _LegacyConverter(db, report, legacy_choices or {}, legacy_codes)
    _check_rows(db, ds, parsed, units, err, report, rows, conv)
    if ds.name == "indicators" and report.conversions:
        parsed, rows, ok = _merge_converted_indicators(parsed, rows, ok, conv, report)

    # duplicate keys inside the file (a missing key value is already reported)
    keyframe = parsed[list(ds.key)]
    complete = keyframe.notna().all(axis=1)
    keytext = keyframe[complete]
    combined = np.zeros(len(keytext), dtype=np.int64)
    for c in ds.key:   # one integer per distinct key (key values are text)
        codes, uniques = _by_unique(keytext[c])
        combined = pd.factorize(combined * (len(uniques) + 1) + codes)[0].astype(np.int64)
    dup = pd.Series(pd.Series(combined).duplicated(keep="first").to_numpy(),
                    index=keytext.index)
    if dup.any():
        keytext = keytext.astype(str)
        firsts = keytext[~dup].assign(_first=rows[keytext.index[~dup]].to_numpy())
        again = keytext[dup].reset_index().merge(firsts, on=list(ds.key), how="left")
        for idx, first in zip(again.iloc[:, 0], again["_first"]):
            err(idx, ds.key[-1] if len(ds.key) == 1 else ds.key[0], " / ".join(
                str(parsed.at[idx, c]) for c in ds.key),
                f"trùng khóa với dòng {int(first)} trong cùng tệp")

    parsed["_row"] = rows
    parsed["_ok"] = ok
    return parsed


class _LegacyConverter:
    """Converts pre-2025 commune codes found in one file (see legacy.py for the rule)."""

    def __init__(self, db, report, choices, force):
        self.db, self.report, self.choices, self.force = db, report, choices, force
        self.by_old: dict[str, object] = {}
        self.converted_idx: set = set()
        self.names: dict[str, str] | None = None

    def prepare(self, codes, known):
        from dashboard.ingest import legacy

        candidates = [c for c in codes if c and (self.force or c not in known)]
        self.found = legacy.lookup(self.db, candidates, known)

    def convert(self, idx, code, known, row, err, column):
        """-> (code to use, handled). handled=False: not an old code, caller checks as usual."""
        from dashboard.ingest import legacy

        if code is None or (code in known and not self.force):
            return code, False
        lc = self.found.get(legacy._pad(code)) if code.isdigit() else None
        if lc is None:
            return code, False
        conv = self.by_old.get(lc.old_code)
        if conv is None:
            target = lc.targets[0] if not lc.divided else None
            choice = self.choices.get(lc.old_code)
            chosen = False
            if lc.divided and choice in {t.code for t in lc.targets}:
                target = next(t for t in lc.targets if t.code == choice)
                chosen = True
            conv = legacy.Conversion(lc.old_code, lc.label, target.code if target else None,
                                     target.name if target else None, [], lc.divided, chosen)
            self.by_old[lc.old_code] = conv
            self.report.conversions.append(conv)
            if lc.divided and not chosen:
                self.report.splits.append(lc)
        conv.rows.append(row)
        if conv.new_code is None:
            options = "; ".join(f"{t.name} ({t.code})" + (" — mặc định" if t.is_default else "")
                                for t in lc.targets)
            err(idx, column, code, f"mã xã cũ (trước 01/07/2025) của {lc.label}; xã này đã được "
                f"chia cho nhiều xã mới: {options}",
                "Chọn xã mới cho xã cũ này trong mục «Xã cũ bị chia» rồi kiểm tra lại "
                "(không tự gán).")
            return None, True
        if conv.new_code not in known:
            err(idx, column, code, f"mã xã cũ của {lc.label}, nay thuộc «{conv.new_name}» "
                f"({conv.new_code}) — đơn vị này chưa có trong danh mục đơn vị",
                "Nhập danh sách đơn vị (hoặc tạo từ danh mục chính thức) trước.")
            return None, True
        self.converted_idx.add(idx)
        return conv.new_code, True


def _merge_converted_indicators(parsed, rows, ok, conv, report):
    """Old communes merged into one new commune: their values for the same period and
    indicator are summed into one row (reported as warnings)."""
    idx = [i for i in parsed.index if i in conv.converted_idx and ok[i]]
    if not idx:
        return parsed, rows, ok
    sub = parsed.loc[idx]
    drop = []
    for _, group in sub.groupby(["unit_code", "period", "indicator"], sort=False):
        if len(group) < 2:
            continue
        first = group.index[0]
        if any(parsed.loc[group.index, "value"].isna()):
            continue
        parsed.at[first, "value"] = float(sum(parsed.loc[group.index, "value"]))
        for other in group.index[1:]:
            drop.append(other)
            report.problems.append(Problem(
                int(rows[other]), "Mã đơn vị", "",
                f"xã cũ đã sáp nhập vào «{group.unit_code.iloc[0]}»: giá trị được cộng vào "
                f"dòng {int(rows[first])} (cùng kỳ, cùng chỉ số)", severity="warning"))
    keep = ~parsed.index.isin(drop)
    return parsed[keep], rows[keep], ok[keep]


def _is_totals_label(text: str) -> bool:
    """'Tổng cộng', 'TỔNG SỐ', 'Cộng', 'Total' in the first cells of a row."""
    t = fold(text)
    return t in {"tong", "cong", "total", "tongso", "tongcong"} or \
        t.startswith(("tongcong", "tongso", "total", "congtoan"))


def _rows(frame: pd.DataFrame):
    """(index, row) pairs with attribute access, without building a Series per row
    (iterrows is ~50x slower and dominated imports of national-size files)."""
    return zip(frame.index, frame.itertuples(index=False))


def _check_rows(db, ds, parsed, units, err, report, rows, conv=None):
    conv = conv or _LegacyConverter(db, report, {}, False)
    known = dict(zip(units.unit_code, units.level))
    memo: dict[str, str] = {}
    names: dict[str, str] = {}

    def suggest(value):   # names of every unit are gathered at the first unknown code only
        if not names:
            names.update(suggestion_names(units, db))
        if value not in memo:
            memo[value] = suggest_unit(value, units, db, names)
        return memo[value]

    if ds.name == "units":
        parsed["unit_code"] = [pad_code(c, lv) for c, lv in zip(parsed.unit_code, parsed.level)]
        file_levels = dict(zip(parsed.unit_code, parsed.level))
        all_levels = {**known, **{k: v for k, v in file_levels.items() if k and v}}
        conv.prepare([resolve_code(c, all_levels) for c in parsed.parent_code], all_levels)
        hh_label = ds.column("households").label
        reported = {(p.row, p.column) for p in report.problems if p.column == hh_label}
        parents = []
        for idx, r in _rows(parsed):
            p = resolve_code(r.parent_code, all_levels)
            p, handled = conv.convert(idx, p, all_levels, int(rows[idx]), err, "parent_code")
            parents.append(p)
            if handled and p is None:
                continue
            if r.level is None:
                continue
            if r.level != "province" and not p:
                err(idx, "parent_code", "", "thiếu mã đơn vị cấp trên (bắt buộc trừ cấp tỉnh)")
            elif p and p not in all_levels:
                err(idx, "parent_code", r.parent_code, "đơn vị cấp trên không có trong danh mục "
                    "đơn vị (hệ thống hoặc tệp này)", suggest(r.parent_code))
            elif p and r.level == "village" and all_levels[p] != "commune":
                err(idx, "parent_code", r.parent_code,
                    f"thôn/tổ dân phố phải thuộc một xã/phường, không thuộc cấp "
                    f"«{contract.enum_label(contract.LEVELS, all_levels[p])}»")
            elif p and LEVEL_RANK[all_levels[p]] >= LEVEL_RANK[r.level]:
                err(idx, "parent_code", r.parent_code, "đơn vị cấp trên phải ở cấp cao hơn")
            if r.level == "village" and r.households is None and r.unit_code and \
                    (int(rows[idx]), hh_label) not in reported:   # unreadable: said once
                err(idx, "households", "", "số hộ là bắt buộc với thôn/tổ dân phố")
            if p == r.unit_code and p:
                err(idx, "parent_code", r.parent_code, "đơn vị không thể là cấp trên của chính nó")
        parsed["parent_code"] = parents
        _warn_reference_names(db, parsed, report, rows)
        return
    if ds.name in ("cells", "models", "indicators"):
        # once per distinct code: resolve; rows whose code is a known unit (nearly all) need
        # no more work, the others go through the legacy conversion and checks row by row
        resolved = _map_unique(parsed.unit_code, lambda c: resolve_code(c, known))
        conv.prepare(list(pd.unique(resolved.dropna())), known)
        simple = resolved.isna() | (resolved.isin(list(known)) & (not conv.force))
        codes = resolved.copy()
        for idx in parsed.index[~simple.to_numpy()]:
            code = parsed.at[idx, "unit_code"]
            c, _handled = conv.convert(idx, resolved[idx], known, int(rows[idx]), err,
                                       "unit_code")
            codes[idx] = c
            if c is not None and c not in known:
                err(idx, "unit_code", code, "mã đơn vị không có trong danh mục đơn vị",
                    suggest(code))
        if ds.name == "cells":
            level = codes.map(known)
            wrong = level.notna() & ~level.isin(["village", "commune"])
            for idx in parsed.index[wrong.to_numpy()]:
                err(idx, "unit_code", parsed.at[idx, "unit_code"], "tổ phải thuộc một thôn/tổ "
                    "dân phố hoặc xã, không thuộc cấp "
                    f"«{contract.enum_label(contract.LEVELS, level[idx])}»")
        parsed["unit_code"] = codes
    if ds.name in ("cells", "models"):
        start = "established_on" if ds.name == "cells" else "started_on"
        def ordinal(d):
            return np.nan if d is None or d != d else float(d.toordinal())

        before_start = (_map_unique(parsed["ended_on"], ordinal).astype(float)
                        < _map_unique(parsed[start], ordinal).astype(float))
        for idx in parsed.index[before_start.to_numpy()]:
            s, e = parsed.at[idx, start], parsed.at[idx, "ended_on"]
            if s is not None and e is not None and e < s:
                err(idx, "ended_on", e.strftime("%d/%m/%Y"),
                    f"ngày kết thúc trước ngày bắt đầu ({s.strftime('%d/%m/%Y')})")
    if ds.name == "models":
        for idx, lat, lon in zip(parsed.index, parsed["latitude"], parsed["longitude"]):
            if (lat is None) != (lon is None):
                err(idx, "latitude" if lat is None else "longitude", "",
                    "cần cả vĩ độ và kinh độ, hoặc để trống cả hai")
            if lat is not None and not 6 <= lat <= 24:
                err(idx, "latitude", lat, "vĩ độ phải trong khoảng 6–24 °B (Việt Nam)")
            if lon is not None and not 102 <= lon <= 118:
                err(idx, "longitude", lon, "kinh độ phải trong khoảng 102–118 °Đ (Việt Nam)")


def _warn_reference_names(db, parsed, report, rows):
    """A commune or province whose code is in the official 2025 list is stored under its
    official name: the code is what every figure joins on and the list is the law, so a
    typed variant ("Xã Lý Bônh" for 04123 «Xã Lý Bôn») would only split one unit into two
    spellings. A name that differs is reported (warning) with the official name it is
    stored as; a name that is not even close suggests checking the code."""
    from rapidfuzz import fuzz

    ref = db.df("SELECT commune_code, commune_name FROM ref_communes")
    names = dict(zip(ref.commune_code, ref.commune_name))
    prov = db.df("SELECT province_code, province_name FROM ref_provinces")
    names.update(zip(prov.province_code, prov.province_name))
    fixed = []
    for idx, r in _rows(parsed):
        name = r.unit_name
        if r.level in ("commune", "province") and r.unit_code in names and name:
            official = names[r.unit_code]
            if official != name:
                same = fold(official) == fold(name) or fold(name) in fold(official)
                if not same:
                    close = fuzz.ratio(_strip_type(fold_words(official)),
                                       _strip_type(fold_words(name))) >= NAME_TYPO_RATIO
                    hint = "" if close else _code_hint(name, names)
                    report.problems.append(Problem(
                        int(rows[idx]), "Tên đơn vị", name,
                        f"tên khác với danh mục chính thức: mã {r.unit_code} là «{official}»; "
                        f"sẽ ghi theo tên chính thức «{official}»",
                        suggestion=hint or f"Sửa tên trong tệp thành «{official}» cho khớp.",
                        severity="warning"))
                name = official
        fixed.append(name)
    parsed["unit_name"] = fixed


NAME_TYPO_RATIO = config.get("name_typo_ratio")


def _code_hint(name: str, names: dict[str, str]) -> str:
    """'Kiểm tra lại mã: «Xã Khác» là mã 04567 trong danh mục.' when the typed name is an
    official unit with another code."""
    key = fold(name)
    hits = [c for c, n in names.items() if fold(n) == key]
    if hits:
        return (f"Tên này khác hẳn: kiểm tra lại mã — «{names[hits[0]]}» là mã {hits[0]} "
                "trong danh mục chính thức.")
    return "Tên này khác hẳn: kiểm tra lại mã đơn vị."


# --- compare and commit ---------------------------------------------------------------------

def _json_key(values_: list) -> str:
    return json.dumps([str(v) for v in values_], ensure_ascii=False)


def _row_dict(ds: Dataset, r) -> dict:
    return {c: (None if (isinstance(getattr(r, c), float) and getattr(r, c) != getattr(r, c))
                else getattr(r, c)) for c in ds.names}


def _normal(v):
    """One comparable Python value per cell: None for every kind of missing (None, NaN, NaT,
    pd.NA), dates as datetime.date, integral floats as int."""
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, dt.datetime):
        return v.date() if v.time() == dt.time(0) else v
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


class StoredRows(Sequence):
    """The stored version of each incoming row (None for a new row), aligned with the rows
    given to `compare`. Item i is the row as a dict of normalised values (built on demand);
    `json(mask)` gives the before-images of many rows at once."""

    def __init__(self, ds: Dataset, stored: pd.DataFrame, found: np.ndarray):
        self.ds, self.stored, self.found = ds, stored, found

    def __len__(self) -> int:
        return len(self.found)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not self.found[i]:
            return None
        row = self.stored.iloc[i]
        return {c: _normal(row[c]) for c in self.ds.names}

    def json(self, mask: np.ndarray) -> np.ndarray:
        found = self.found[mask]
        out = np.full(int(mask.sum()), None, dtype=object)
        if found.any():
            out[found] = _json_rows(self.stored[mask][found], self.ds.names)
        return out


def compare(db: Database, ds: Dataset, good: pd.DataFrame):
    """Split valid rows into new / updated / unchanged against the stored table, in one join
    over whole columns (a row is unchanged when every column is equal, missing = missing)."""
    typed = _typed_frame(ds, good).reset_index(drop=True)
    typed["_pos"] = np.arange(len(typed))
    cur = db.cursor()
    try:
        cur.register("_incoming", typed)
        join = " AND ".join(f"t.{k} = i.{k}" for k in ds.key)
        same = " AND ".join(f"t.{c} IS NOT DISTINCT FROM i.{c}" for c in ds.names)
        stored = cur.execute(
            f"SELECT i._pos, t.{ds.key[0]} IS NOT NULL AS _found, "
            f"coalesce({same}, FALSE) AS _same, "
            + ", ".join(f"t.{c}" for c in ds.names)
            + f" FROM _incoming i LEFT JOIN {ds.name} t ON {join} ORDER BY i._pos").df()
        cur.unregister("_incoming")
    finally:
        cur.close()
    found = stored["_found"].to_numpy(dtype=bool)
    unchanged = found & stored["_same"].to_numpy(dtype=bool)
    status = np.where(found, np.where(unchanged, "unchanged", "updated"), "new").tolist()
    return status, StoredRows(ds, stored[list(ds.names)], found)


def _json_values(values: pd.Series) -> np.ndarray:
    """json.dumps of each cell's normalised value (as to_json_row writes it), computed once
    per distinct value."""
    if not len(values):
        return np.empty(0, dtype=object)
    codes, uniques = _by_unique(values)
    frag = np.empty(len(uniques), dtype=object)
    frag[:] = [json.loads(to_json_row({"v": _normal(u)}))["v"] for u in uniques]
    frag[:] = [json.dumps(v, ensure_ascii=False) for v in frag]
    return frag[codes]


def _json_rows(frame: pd.DataFrame, columns) -> np.ndarray:
    """to_json_row of every row of frame (sorted keys), built column by column."""
    names = sorted(columns)
    template = "{" + ", ".join(json.dumps(c).replace("%", "%%") + ": %s" for c in names) + "}"
    out = np.empty(len(frame), dtype=object)
    out[:] = [template % r for r in zip(*(_json_values(frame[c]) for c in names))]
    return out


def _insert_changes(cur, ds: Dataset, batch_id: int, changed: pd.DataFrame,
                    status: list[str], before) -> None:
    """Record the batch_changes rows of a batch (key, before-image, after-image of each changed
    row). Each column's distinct values are serialised once in Python (json.dumps, as
    to_json_row writes them); DuckDB assembles the rows. The first row is checked against
    the row serialiser, so both always write the same text."""
    mask = np.asarray(status, dtype=object) != "unchanged"
    if isinstance(before, StoredRows):
        before_json = before.json(mask)
        first_before = before[int(np.flatnonzero(mask)[0])] if mask.any() else None
    else:
        befores = [b for b, m in zip(before, mask) if m]
        before_json = np.array([to_json_row(b) if b is not None else None for b in befores],
                               dtype=object)
        first_before = befores[0] if befores else None
    names = sorted(ds.names)
    frame = {"_pos": np.arange(len(changed)), "_before": before_json}
    tables = []
    for prefix, cols, fn in (
            ("k", list(ds.key), lambda v: json.dumps(str(v), ensure_ascii=False)),
            ("v", names, lambda v: json.dumps(json.loads(to_json_row({"v": _normal(v)}))["v"],
                                              ensure_ascii=False))):
        for i, c in enumerate(cols):
            codes, uniques = _by_unique(changed[c])
            frame[f"{prefix}{i}"] = codes
            table = f"_{prefix}{i}"
            cur.register(table, pd.DataFrame({"code": np.arange(len(uniques)),
                                              "f": [fn(u) for u in uniques]}))
            tables.append((table, f"{prefix}{i}"))
    cur.register("_codes", pd.DataFrame(frame))
    key_sql = " || ', ' || ".join(f"_k{i}.f" for i in range(len(ds.key)))
    row_sql = " || ', ' || ".join(f"'{json.dumps(c)}: ' || _v{i}.f" for i, c in enumerate(names))
    joins = " ".join(f"JOIN {t} ON {t}.code = d.{col}" for t, col in tables)
    cur.execute(f"""INSERT INTO batch_changes
        SELECT ?, ?, '[' || {key_sql} || ']', d._before, '{{' || {row_sql} || '}}'
        FROM _codes d {joins}""", [batch_id, ds.name])
    for t, _ in tables:
        cur.unregister(t)
    cur.unregister("_codes")
    if len(changed):
        r = next(changed.itertuples(index=False))
        key = _json_key([getattr(r, k) for k in ds.key])
        got = cur.execute("SELECT before_json, after_json FROM batch_changes "
                          "WHERE batch_id = ? AND row_key = ?", [batch_id, key]).fetchone()
        want = (to_json_row(first_before) if first_before is not None else None,
                to_json_row({c: _normal(getattr(r, c)) for c in ds.names}))
        if got is None or tuple(got) != want:
            raise RuntimeError(f"batch_changes serialisation differs: {got} != {want}")


def _typed_frame(ds: Dataset, frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for c in ds.columns:
        s = frame[c.name]
        if c.type == "integer":
            out[c.name] = pd.array(s.tolist(), dtype="Int64")
        elif c.type == "decimal":
            out[c.name] = pd.array(s.tolist(), dtype="Float64")
        elif c.type == "date":
            out[c.name] = pd.to_datetime(pd.Series(s.tolist(), index=frame.index, dtype=object))
        else:
            out[c.name] = pd.Series(s.tolist(), index=frame.index, dtype=object)
    return out


class _CheckOnly(Exception):
    """Ends a trial write (its transaction rolls back)."""


def write_batch(db: Database, ds: Dataset, rows: pd.DataFrame, status: list[str],
                before: list, report: ImportReport, data: bytes, created_by: str | None = None,
                progress=None, check_only: bool = False) -> int | None:
    """Insert/replace rows and record the batch with its before-images, in ONE transaction
    (store/batches.py; the integrity check runs before COMMIT and raises IntegrityError).
    check_only: write, run the integrity check, roll back (-> None)."""
    from dashboard.store import batches, integrity

    changed = rows[[s != "unchanged" for s in status]]
    typed = _typed_frame(ds, changed)
    try:
        with batches.write(db, dataset=ds.name, file_name=report.file_name,
                           sha256=report.sha256, data=None if check_only else (data or None),
                           mode=report.mode, created_by=created_by, rows_new=report.new,
                           rows_updated=report.updated, rows_unchanged=report.unchanged,
                           rows_rejected=report.rejected, trial=check_only) as batch:
            cur = batch.cur
            if len(typed):
                if progress:
                    progress(0.5, "Đang ghi dữ liệu…")
                # new keys by plain INSERT (several times faster on a primary key than OR
                # REPLACE), updated keys by INSERT OR REPLACE
                typed["_new"] = [s == "new" for s in status if s != "unchanged"]
                cur.register("_typed", typed)
                cols = ", ".join(ds.names)
                cur.execute(f"INSERT INTO {ds.name} ({cols}) SELECT {cols} FROM _typed "
                            "WHERE _new")
                if "updated" in status:
                    cur.execute(f"INSERT OR REPLACE INTO {ds.name} ({cols}) "
                                f"SELECT {cols} FROM _typed WHERE NOT _new")
                cur.unregister("_typed")
                _insert_changes(cur, ds, batch.batch_id, changed, status, before)
            if check_only:
                integrity.check(cur)
                raise _CheckOnly
    except _CheckOnly:
        return None
    if progress:
        progress(1.0, "Đã ghi xong.")
    return batch.batch_id


def integrity_problems(exc, ds: Dataset, good: pd.DataFrame) -> list[Problem]:
    """An IntegrityError as report problems: on the file's row that caused each finding
    (the unit whose level or parent it changes, or the row itself), else on no row."""
    rows_by_key = {}
    if len(good):
        keys = [good[k].astype(str) for k in ds.key]
        for *key, row in zip(*keys, good["_row"]):
            rows_by_key[" / ".join(key)] = int(row)
    out = []
    for f in exc.findings:
        row, column, value = None, None, ""
        if ds.name == "units" and f.ref_code in rows_by_key:
            row, column, value = rows_by_key[f.ref_code], ds.column("level").label, \
                contract.enum_label(contract.LEVELS, f.ref_level)
        else:
            for sample in f.samples:
                k = sample.split(" «")[0]
                if f.table == ds.name and k in rows_by_key:
                    row, column = rows_by_key[k], ds.column(f.column).label \
                        if f.column in ds.names else None
                    break
        out.append(Problem(row, column, value, "dữ liệu đã lưu sẽ không còn nhất quán: "
                           + f.message, "Không dòng nào được ghi. Sửa tệp (hoặc chuyển các "
                           "đơn vị phụ thuộc sang đơn vị cấp trên đúng cấp trước) rồi nhập lại."))
    return out


def check_bytes(db: Database, ds: Dataset, data: bytes, file_name: str, dry_run: bool,
                valid_rows_only: bool, progress=None, legacy_choices=None,
                legacy_codes: bool = False, principal=None):
    """Read, validate and compare a file against the stored data, holding no lock (readers
    and other uploads go on). Rows outside the uploader's scope are rejected, each named.
    -> (report, valid rows, status, stored rows)."""
    from dashboard.access.safe_text import scrub_paths

    report = ImportReport(dataset=ds.name, file_name=file_name, dry_run=dry_run,
                          mode="valid_rows_only" if valid_rows_only else "all_or_nothing")
    report.sha256 = hashlib.sha256(data).hexdigest()
    header_keys = [c.header_keys() for c in ds.columns]
    try:
        raw = readers.read_table(data, file_name, header_keys, ds.name)
    except readers.ReadError as exc:
        report.problems.append(Problem(None, None, "", scrub_paths(exc)))
        return report, None, [], []
    report.raw = raw
    for row, column, message, severity in raw.issues:
        report.problems.append(Problem(row, column, "", message, severity=severity))
    if progress:
        progress(0.1, "Đang kiểm tra từng dòng…")
    parsed = validate(db, ds, raw, report, legacy_choices, legacy_codes)
    if principal is not None:
        _reject_outside_scope(db, principal, ds, parsed, report)
    report.rows_total = len(raw.frame)
    if len(parsed) == 0 and report.ok:
        report.problems.append(Problem(None, None, "", "Tệp không có dòng dữ liệu nào "
                                       "dưới dòng tiêu đề."))
    all_ok = bool(parsed["_ok"].all()) if len(parsed) else True
    good = parsed if all_ok else parsed[parsed["_ok"]]
    bad = parsed.iloc[:0] if all_ok else parsed[~parsed["_ok"]]
    report.rejected = len(bad)
    report.rows = good[ds.names] if len(good) else None
    if len(bad):
        pos = np.searchsorted(np.asarray(raw.row_numbers), bad["_row"].to_numpy(dtype=np.int64))
        rej = raw.frame.iloc[pos].copy()
        rej.insert(0, "Dòng trong tệp", list(bad["_row"]))
        report.rejected_rows = rej
    status, before = compare(db, ds, good) if len(good) else ([], [])
    report.new = status.count("new")
    report.updated = status.count("updated")
    report.unchanged = status.count("unchanged")
    if progress:
        progress(0.4, "Đã kiểm tra xong.")
    return report, good, status, before


def import_bytes(db: Database, dataset: str, data: bytes, file_name: str = "tệp tải lên",
                 dry_run: bool = False, valid_rows_only: bool = False,
                 created_by: str | None = None, progress=None,
                 legacy_choices: dict[str, str] | None = None,
                 legacy_codes: bool = False, allow_other_province: bool = False) -> ImportReport:
    """Check a file and, unless dry_run or it has errors, commit it as one batch.

    The check runs without the write lock; only the commit holds it. When another write
    committed meanwhile (the data version moved), the file is checked again under the lock,
    so a batch always records the state it replaced.

    legacy_choices: old commune code -> chosen 2025 commune code, for old communes split
    between several new ones; legacy_codes: the file uses pre-2025 codes throughout;
    allow_other_province: write a units file of a province the data does not hold yet
    (otherwise the report asks for it: needs_confirmation, nothing written).

    Runs as the current principal (dashboard.access.context): the role must allow uploads,
    rows outside its scope are rejected, the batch records who made it, and the check or
    commit goes into the audit log."""
    from dashboard.access import context, require

    ds = get_dataset(dataset)
    principal = context.current()          # who uploads: checked, recorded on the batch
    require(principal, "upload")
    created_by = created_by or principal.username
    report = _check_and_commit(db, ds, data, file_name, dry_run, valid_rows_only, created_by,
                               allow_other_province, principal,
                               dict(progress=progress, legacy_choices=legacy_choices,
                                    legacy_codes=legacy_codes, principal=principal))
    _audit_upload(db, principal, report, "upload" if report.committed else "upload_checked")
    return report


def _check_and_commit(db, ds, data, file_name, dry_run, valid_rows_only, created_by,
                      allow_other_province, principal, options) -> ImportReport:
    progress = options["progress"]
    version = db.data_version()
    report, good, status, before = check_bytes(db, ds, data, file_name, dry_run,
                                               valid_rows_only, **options)
    if good is not None:
        _check_other_provinces(db, ds, good, report, allow_other_province)
    if good is None or (report.errors and not valid_rows_only) or not len(good):
        return report
    if report.needs_confirmation and not dry_run:
        return report
    if dry_run and not (ds.name == "units" and (report.new or report.updated)):
        return report   # only a units file can break stored rows the checks above miss
    from dashboard.store.integrity import IntegrityError

    with db.write_lock:  # two uploads never interleave their commits
        if db.data_version() != version:   # another write committed meanwhile: check again
            report, good, status, before = check_bytes(db, ds, data, file_name, dry_run,
                                                       valid_rows_only, **options)
            if good is None or (report.errors and not valid_rows_only) or not len(good):
                return report
            _check_other_provinces(db, ds, good, report, allow_other_province)
            if report.needs_confirmation and not dry_run:
                return report
        try:
            report.batch_id = write_batch(db, ds, good, status, before, report, data,
                                          created_by, progress, check_only=dry_run)
        except IntegrityError as exc:   # stored rows depending on the file's rows
            report.problems.extend(integrity_problems(exc, ds, good))
            return report
        except duckdb.ConstraintException as exc:   # the database's own rules: last check
            report.problems.append(Problem(
                None, None, "", "Cơ sở dữ liệu từ chối ghi vì có dòng không thỏa quy tắc dữ "
                f"liệu ({str(exc).splitlines()[0]}); không dòng nào được ghi.",
                "Kiểm tra các cột bắt buộc, giá trị tối thiểu và thứ tự ngày trong tệp."))
            return report
        report.committed = report.batch_id is not None
    return report


def _check_other_provinces(db, ds, good, report, allowed: bool) -> None:
    from dashboard.store import province

    found = province.other_provinces(db, ds.name, good if len(good) else None)
    report.other_provinces = found
    if found:
        report.needs_confirmation = not allowed
        report.problems.append(Problem(None, None, "", province.other_province_message(db, found),
                                       suggestion=province.OTHER_PROVINCE_HINT,
                                       severity="warning"))


def _reject_outside_scope(db, principal, ds, parsed, report) -> None:
    """Rows naming a unit outside the uploader's scope are rejected, each one named."""
    from dashboard.access import scope

    if principal.scope is None or not len(parsed):
        return
    label = {c.name: c.label for c in ds.columns}
    for idx, col, val, msg in scope.upload_problems(db, principal, ds.name,
                                                    parsed[parsed["_ok"]]):
        parsed.at[idx, "_ok"] = False
        report.problems.append(Problem(int(parsed.at[idx, "_row"]), label.get(col, col),
                                       str(val), msg))


def _audit_upload(db, principal, report, action) -> None:
    from dashboard.access import audit

    audit.record(db, principal, action, {
        "dataset": report.dataset, "file": report.file_name, "batch": report.batch_id,
        "new": report.new, "updated": report.updated, "rejected": report.rejected,
        "errors": len(report.errors)})


def import_file(db: Database, dataset: str, path: str | Path, dry_run: bool = False,
                valid_rows_only: bool = False, **options) -> ImportReport:
    path = Path(path)
    return import_bytes(db, dataset, path.read_bytes(), path.name, dry_run=dry_run,
                        valid_rows_only=valid_rows_only, **options)
