"""Every cell parsed and every row checked against the contract and the stored units: codes
padded, old codes converted, names suggested; each problem named by row, column and value."""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard import config, contract
from dashboard.contract import CODE_WIDTH, LEVEL_RANK, Column, Dataset
from dashboard.i18n.text import fold, fold_words
from dashboard.ingest import readers, values
from dashboard.ingest.headers import map_headers
from dashboard.ingest.report import ImportReport, Problem
from dashboard.store.database import Database


def _by_unique(texts: pd.Series):
    """(codes, uniques): each row's position in the column's distinct values, so work done
    once per distinct value is spread back over the column with one take."""
    codes, uniques = pd.factorize(texts.to_numpy(dtype=object), use_na_sentinel=False)
    return codes, list(uniques)


def _present(uniques: list) -> np.ndarray:
    """Which distinct values are not missing (None, NaN, NaT, pd.NA)."""
    out = np.empty(len(uniques), dtype=object)
    out[:] = uniques
    return ~pd.isna(out)


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
    frame = frame[[c for c in frame.columns if c in ds.names]]   # copy on write
    for col in ds.names:
        if col not in frame.columns:
            frame[col] = ""
    frame = frame[ds.names]
    if frame.empty:
        return pd.DataFrame(columns=[*ds.names, "_row", "_ok"])
    rows = pd.Series(np.asarray(raw.row_numbers), index=frame.index)
    ok = pd.Series(True, index=frame.index)
    label = {c.name: c.label for c in ds.columns}

    def err(idx, col, val, msg, sug=""):
        ok[idx] = False
        report.problems.append(Problem(int(rows[idx]), label.get(col, col), str(val), msg, sug))

    # each column's distinct cells, once: the totals check and the parsers work on them
    factors = {c: _by_unique(frame[c]) for c in ds.names}

    # totals row ("Tổng cộng") at the bottom of a sheet: not data. The first non-empty cell
    # of the first three columns, judged once per distinct text.
    totals = np.zeros(len(frame), dtype=bool)
    decided = np.zeros(len(frame), dtype=bool)
    first_pos = np.zeros(len(frame), dtype=np.int64)
    for j in range(min(3, frame.shape[1])):
        codes, uniques = factors[ds.names[j]]
        filled = _present(uniques) & np.fromiter((not isinstance(u, str) or u != ""
                                                  for u in uniques), bool, len(uniques))
        is_totals = np.fromiter((f and _is_totals_label(u) for u, f in zip(uniques, filled)),
                                bool, len(uniques))
        here = filled[codes] & ~decided
        totals[here] = is_totals[codes[here]]
        first_pos[here] = j
        decided |= here
    for pos in np.flatnonzero(totals):
        idx = frame.index[pos]
        codes, uniques = factors[ds.names[first_pos[pos]]]
        report.problems.append(Problem(int(rows[idx]), None, uniques[codes[pos]],
                                       "Dòng tổng cộng — không phải dữ liệu, đã bỏ qua.",
                                       severity="warning"))
    if totals.any():
        keep = ~totals
        frame, rows, ok = frame[keep], rows[keep], ok[keep]
        factors = {c: (codes[keep], uniques) for c, (codes, uniques) in factors.items()}

    parsed = pd.DataFrame(index=frame.index)
    index = frame.index.to_numpy()
    for col in ds.columns:
        # one pass over the column: its distinct cells are stripped, checked and parsed once
        codes, uniques = factors.pop(col.name)
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
        bad_u = pd.notna(message_u)
        if bad_u.any():
            for j in np.flatnonzero(bad_u[codes]):
                err(index[j], col.name, utext[codes[j]], message_u[codes[j]])
        missing_u = pd.isna(parsed_u) & ~bad_u
        if col.required and missing_u.any():
            missing = missing_u[codes]
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
    key_codes = [_by_unique(keyframe[c]) for c in ds.key]
    complete = np.ones(len(keyframe), dtype=bool)
    for codes, uniques in key_codes:
        present = _present(uniques)
        if not present.all():
            complete &= present[codes]
    combined = np.zeros(int(complete.sum()), dtype=np.int64)
    for codes, uniques in key_codes:   # one integer per distinct key (key values are text)
        codes = codes[complete]
        combined = pd.factorize(combined * (len(uniques) + 1) + codes)[0].astype(np.int64)
    keytext = keyframe[complete] if not complete.all() else keyframe
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
    known = dict(zip(units.unit_code.tolist(), units.level.tolist()))
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
        ucodes, uniques = _by_unique(parsed.unit_code)
        res_u = np.empty(len(uniques), dtype=object)
        res_u[:] = [resolve_code(c, known) for c in uniques]
        conv.prepare(list(dict.fromkeys(c for c in res_u if c is not None)), known)
        simple_u = np.fromiter((c is None or (c in known and not conv.force) for c in res_u),
                               bool, len(res_u))
        resolved = pd.Series(res_u[ucodes], index=parsed.index, dtype=object)
        simple = simple_u[ucodes]
        codes = resolved.copy()
        for idx in parsed.index[~simple]:
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
