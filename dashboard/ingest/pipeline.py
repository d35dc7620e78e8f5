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
from dataclasses import dataclass, field
from pathlib import Path

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

def _parse_column(col: Column, texts: pd.Series):
    """Parse a column of text. Returns (parsed Series, {index: message})."""
    errors: dict[int, str] = {}
    if col.type == "text":
        return pd.Series([t if t else None for t in texts], index=texts.index,
                         dtype=object), errors
    if col.type == "enum":
        lookup = col.enum_lookup()

        def parser(t, lookup=lookup):
            code = lookup.get(fold(t))
            if code is None:
                raise ValueError("giá trị không hợp lệ; dùng một trong: " + ", ".join(
                    f"{c} ({contract.enum_label(col.enum, c)})" for c in col.enum))
            return code
    else:
        parser = {"integer": values.parse_integer, "decimal": values.parse_decimal,
                  "date": values.parse_date, "month": values.parse_month}[col.type]
    cache: dict[str, object] = {}
    out = []
    for idx, t in texts.items():
        if t == "":
            out.append(None)
            continue
        if t not in cache:
            try:
                cache[t] = parser(t)
            except ValueError as exc:
                cache[t] = exc
        v = cache[t]
        if isinstance(v, ValueError):
            errors[idx] = str(v)
            out.append(None)
        else:
            if col.min is not None and v < col.min:
                errors[idx] = f"phải ≥ {col.min:g}"
                out.append(None)
                continue
            out.append(v)
    return pd.Series(out, index=texts.index, dtype=object), errors


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
    return db.df("SELECT unit_code, unit_name, level, parent_code FROM units")


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
    first_text = frame.iloc[:, :3].apply(lambda r: next((x for x in r if x), ""), axis=1)
    totals = first_text.map(_is_totals_label)
    for idx in frame.index[totals]:
        report.problems.append(Problem(int(rows[idx]), None, first_text[idx],
                                       "Dòng tổng cộng — không phải dữ liệu, đã bỏ qua.",
                                       severity="warning"))
    frame, rows, ok = frame[~totals], rows[~totals], ok[~totals]

    parsed = pd.DataFrame(index=frame.index)
    for col in ds.columns:
        texts = frame[col.name].fillna("").astype(str).str.strip()
        for idx in texts.index[texts.map(values.looks_like_formula)]:
            err(idx, col.name, texts[idx], "ô chứa công thức Excel; hãy dán giá trị "
                "(Dán đặc biệt → Giá trị).")
            texts[idx] = ""
        series, errors = _parse_column(col, texts)
        for idx, msg in errors.items():
            err(idx, col.name, texts[idx], msg)
        missing = series.isna() & ~pd.Series([idx in errors for idx in series.index],
                                             index=series.index)
        if col.required:
            for idx in series.index[missing & ok.reindex(series.index, fill_value=True)]:
                err(idx, col.name, "", "thiếu giá trị bắt buộc")
        parsed[col.name] = series

    units = _existing_units(db)
    conv = _LegacyConverter(db, report, legacy_choices or {}, legacy_codes)
    _check_rows(db, ds, parsed, units, err, report, rows, conv)
    if ds.name == "indicators" and report.conversions:
        parsed, rows, ok = _merge_converted_indicators(parsed, rows, ok, conv, report)

    # duplicate keys inside the file
    keys = pd.Series([None if any(v is None or v != v for v in vals) else
                      "\x1f".join(str(v) for v in vals)
                      for vals in parsed[list(ds.key)].itertuples(index=False)],
                     index=parsed.index, dtype=object)
    first_seen: dict[str, int] = {}
    for idx, k in keys.items():
        if k is None:   # a missing key value is already reported
            continue
        if k in first_seen:
            err(idx, ds.key[-1] if len(ds.key) == 1 else ds.key[0], " / ".join(
                str(parsed.at[idx, c]) for c in ds.key),
                f"trùng khóa với dòng {first_seen[k]} trong cùng tệp")
        else:
            first_seen[k] = int(rows[idx])

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
    names = suggestion_names(units, db)
    memo: dict[str, str] = {}

    def suggest(value):
        if value not in memo:
            memo[value] = suggest_unit(value, units, db, names)
        return memo[value]

    if ds.name == "units":
        parsed["unit_code"] = [pad_code(c, lv) for c, lv in zip(parsed.unit_code, parsed.level)]
        file_levels = dict(zip(parsed.unit_code, parsed.level))
        all_levels = {**known, **{k: v for k, v in file_levels.items() if k and v}}
        conv.prepare([resolve_code(c, all_levels) for c in parsed.parent_code], all_levels)
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
            if r.level == "village" and r.households is None and r.unit_code:
                err(idx, "households", "", "số hộ là bắt buộc với thôn/tổ dân phố")
            if p == r.unit_code and p:
                err(idx, "parent_code", r.parent_code, "đơn vị không thể là cấp trên của chính nó")
        parsed["parent_code"] = parents
        _warn_reference_names(db, parsed, report, rows)
        return
    if ds.name in ("cells", "models", "indicators"):
        codes = []
        conv.prepare([resolve_code(c, known) for c in parsed.unit_code], known)
        for idx, r in _rows(parsed):
            c = resolve_code(r.unit_code, known)
            c, handled = conv.convert(idx, c, known, int(rows[idx]), err, "unit_code")
            codes.append(c)
            if c is None:
                continue
            if c not in known:
                err(idx, "unit_code", r.unit_code, "mã đơn vị không có trong danh mục đơn vị",
                    suggest(r.unit_code))
            elif ds.name == "cells" and known[c] not in ("village", "commune"):
                err(idx, "unit_code", r.unit_code, "tổ phải thuộc một thôn/tổ dân phố hoặc xã, "
                    f"không thuộc cấp «{contract.enum_label(contract.LEVELS, known[c])}»")
        parsed["unit_code"] = codes
    if ds.name in ("cells", "models"):
        start = "established_on" if ds.name == "cells" else "started_on"
        for idx, s, e in zip(parsed.index, parsed[start], parsed["ended_on"]):
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
    ref = db.df("SELECT commune_code, commune_name FROM ref_communes")
    names = dict(zip(ref.commune_code, ref.commune_name))
    prov = db.df("SELECT province_code, province_name FROM ref_provinces")
    names.update(zip(prov.province_code, prov.province_name))
    for idx, r in _rows(parsed):
        if r.level in ("commune", "province") and r.unit_code in names and r.unit_name:
            official = names[r.unit_code]
            if fold(official) != fold(r.unit_name) and \
                    fold(r.unit_name) not in fold(official):
                report.problems.append(Problem(
                    int(rows[idx]), "Tên đơn vị", r.unit_name,
                    f"tên khác với danh mục chính thức: mã {r.unit_code} là «{official}»",
                    severity="warning"))


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


def compare(db: Database, ds: Dataset, good: pd.DataFrame):
    """Split valid rows into new / updated / unchanged against the stored table."""
    cur = db.cursor()
    try:
        keys = good[list(ds.key)].astype(str)
        cur.register("_incoming_keys", keys)
        join = " AND ".join(f"t.{k}::VARCHAR = k.{k}" for k in ds.key)
        existing = cur.execute(
            f"SELECT t.* FROM {ds.name} t JOIN _incoming_keys k ON {join}").df()
        cur.unregister("_incoming_keys")
    finally:
        cur.close()
    stored = {}
    for r in existing.itertuples(index=False):
        stored[_json_key([getattr(r, k) for k in ds.key])] = {
            c: _normal(getattr(r, c)) for c in ds.names}
    status, before = [], []
    for r in good.itertuples(index=False):
        key = _json_key([getattr(r, k) for k in ds.key])
        old = stored.get(key)
        new = {c: _normal(getattr(r, c)) for c in ds.names}
        if old is None:
            status.append("new")
            before.append(None)
        elif old == new:
            status.append("unchanged")
            before.append(old)
        else:
            status.append("updated")
            before.append(old)
    return status, before


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


def archive_file(db: Database, batch_id: int, file_name: str, data: bytes) -> str:
    folder = db.path.parent / config.get("archive_dir_name")
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in Path(file_name).name)
    path = folder / f"{batch_id:06d}_{safe or 'file'}"
    path.write_bytes(data)
    return str(path.relative_to(db.path.parent))


def write_batch(db: Database, ds: Dataset, rows: pd.DataFrame, status: list[str],
                before: list, report: ImportReport, data: bytes, created_by: str | None = None,
                progress=None) -> int:
    """Insert/replace rows and record the batch with its before-images, in ONE transaction."""
    changed = rows[[s != "unchanged" for s in status]]
    befores = [b for b, s in zip(before, status) if s != "unchanged"]
    typed = _typed_frame(ds, changed)
    with db.transaction() as cur:
        batch_id = db.next_batch_id(cur)
        archive = archive_file(db, batch_id, report.file_name, data) if data else None
        cur.execute(
            "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'committed', ?, ?, ?, ?)",
            [batch_id, dt.datetime.now(), ds.name, report.file_name, report.sha256,
             report.new, report.updated, report.unchanged, report.rejected, report.mode,
             created_by, None, archive])
        if len(typed):
            if progress:
                progress(0.5, "Đang ghi dữ liệu…")
            cur.register("_typed", typed)
            cols = ", ".join(ds.names)
            cur.execute(f"INSERT OR REPLACE INTO {ds.name} ({cols}) SELECT {cols} FROM _typed")
            cur.unregister("_typed")
            changes = pd.DataFrame({
                "batch_id": batch_id, "dataset": ds.name,
                "row_key": [_json_key([getattr(r, k) for k in ds.key])
                            for r in changed.itertuples(index=False)],
                "before_json": [to_json_row(b) if b is not None else None for b in befores],
                "after_json": [to_json_row({c: _normal(getattr(r, c)) for c in ds.names})
                               for r in changed.itertuples(index=False)],
            })
            cur.register("_changes", changes)
            cur.execute("INSERT INTO batch_changes SELECT * FROM _changes")
            cur.unregister("_changes")
    if progress:
        progress(1.0, "Đã ghi xong.")
    return batch_id


def import_bytes(db: Database, dataset: str, data: bytes, file_name: str = "tệp tải lên",
                 dry_run: bool = False, valid_rows_only: bool = False,
                 created_by: str | None = None, progress=None,
                 legacy_choices: dict[str, str] | None = None,
                 legacy_codes: bool = False) -> ImportReport:
    """Check a file and, unless dry_run or it has errors, commit it as one batch.

    legacy_choices: old commune code -> chosen 2025 commune code, for old communes split
    between several new ones; legacy_codes: the file uses pre-2025 codes throughout."""
    from dashboard.access import context, require

    ds = get_dataset(dataset)
    principal = context.current()          # who uploads: checked, recorded on the batch
    require(principal, "upload")
    created_by = created_by or principal.username
    report = ImportReport(dataset=ds.name, file_name=file_name, dry_run=dry_run,
                          mode="valid_rows_only" if valid_rows_only else "all_or_nothing")
    report.sha256 = hashlib.sha256(data).hexdigest()
    header_keys = [c.header_keys() for c in ds.columns]
    try:
        raw = readers.read_table(data, file_name, header_keys, ds.name)
    except readers.ReadError as exc:
        from dashboard.access.safe_text import scrub_paths

        report.problems.append(Problem(None, None, "", scrub_paths(exc)))
        return report
    report.raw = raw
    for row, column, message, severity in raw.issues:
        report.problems.append(Problem(row, column, "", message, severity=severity))
    if progress:
        progress(0.1, "Đang kiểm tra từng dòng…")
    with db.write_lock:  # two uploads never interleave their check and commit
        parsed = validate(db, ds, raw, report, legacy_choices, legacy_codes)
        _reject_outside_scope(db, principal, ds, parsed, report)
        report.rows_total = len(raw.frame)
        if len(parsed) == 0 and report.ok:
            report.problems.append(Problem(None, None, "", "Tệp không có dòng dữ liệu nào "
                                           "dưới dòng tiêu đề."))
        good = parsed[parsed["_ok"]] if len(parsed) else parsed
        bad = parsed[~parsed["_ok"]] if len(parsed) else parsed
        report.rejected = len(bad)
        report.rows = good[ds.names].copy() if len(good) else None
        if len(bad):
            pos = [raw.row_numbers.index(r) for r in bad["_row"]]
            rej = raw.frame.iloc[pos].copy()
            rej.insert(0, "Dòng trong tệp", list(bad["_row"]))
            report.rejected_rows = rej
        status, before = compare(db, ds, good) if len(good) else ([], [])
        report.new = status.count("new")
        report.updated = status.count("updated")
        report.unchanged = status.count("unchanged")
        if progress:
            progress(0.4, "Đã kiểm tra xong.")
        if dry_run or (report.errors and not valid_rows_only) or not len(good):
            _audit_upload(db, principal, report, "upload_checked")
            return report
        report.batch_id = write_batch(db, ds, good, status, before, report, data, created_by,
                                      progress)
        report.committed = True
    _audit_upload(db, principal, report, "upload")
    return report


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
