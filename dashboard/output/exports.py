"""Table downloads: CSV (UTF-8 with BOM) and XLSX, neutralised against formula injection,
and the one function that names every downloaded file (`file_name`).

Every table the app offers for download goes through `to_csv_bytes` / `to_xlsx_bytes`:

- CSV is UTF-8 with a byte-order mark so Excel shows Vietnamese correctly when the file is
  double-clicked. The default dialect is the one Excel expects on a Vietnamese Windows
  (`excel-vi`: `;` between fields, decimal comma, dates dd/mm/yyyy); the `plain` dialect is the
  machine-readable one analysts script against (`,`, `.` decimal point, ISO dates — the CLI's).
- XLSX keeps numbers as numbers and dates as dates, header in bold, header row frozen; the
  first rows of the sheet say what it is: title, as-of date, filters and source (`meta`).
- A text cell that a spreadsheet would read as a formula (it starts with `=`, `+`, `-`, `@`,
  or a tab / carriage return, possibly after leading spaces) is prefixed with an apostrophe,
  as OWASP recommends for CSV injection. Numbers, including negative ones, are left alone.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import re

import pandas as pd

from dashboard import config

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_RISKY = re.compile(r"^[ \t\r\n]*[=+\-@]|^[\t\r]")
CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"
XLSX_MAX_ROWS = config.get("xlsx_max_rows")


def neutralise(value):
    """'=1+1' -> "'=1+1"; anything that is not risky text is returned unchanged."""
    if isinstance(value, str) and value and _RISKY.match(value):
        return "'" + value
    return value


def _is_text_column(s: pd.Series) -> bool:
    return s.dtype == object or isinstance(s.dtype, pd.StringDtype) or str(s.dtype) == "str"


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of df whose text cells (and column names) are neutralised."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if _is_text_column(s):
            out[col] = pd.Series([neutralise(v) for v in s], index=s.index, dtype=object)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def _missing(value) -> bool:
    """None, NaN, NaT, pd.NA: written as an empty cell, never as 'NaT' or '<NA>'."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (str, bytes, list, tuple, dict)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value):
    """Cell value for CSV: ISO dates, no exotic objects."""
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        if value is pd.NaT:
            return None
        return value.date().isoformat() if value == value.normalize() and value.tz is None \
            else value.isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "; ".join("" if v is None else str(v) for v in value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "<" + str(len(bytes(value))) + " byte>"
    if isinstance(value, dict):
        return str(value)
    if hasattr(value, "tolist") and not isinstance(value, (str, int, float, bool)):
        try:
            v = value.tolist()
            if isinstance(v, list):
                return "; ".join("" if x is None else str(x) for x in v)
            return v
        except Exception:  # noqa: BLE001 - anything unusual is written as text
            return str(value)
    return value


def _keep_dates(value):
    return value if isinstance(value, (dt.date, dt.datetime, dt.time)) else _plain(value)


def _cleaned(df: pd.DataFrame, keep_dates: bool = False) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            continue
        if s.dtype == object:   # built as object: no int -> float inference around blanks
            f = _keep_dates if keep_dates else _plain
            out[col] = pd.Series([f(v) for v in s], index=s.index, dtype=object)
    return neutralise_frame(out)


# CSV dialects: name -> (field separator, decimal mark, date format)
CSV_DIALECTS = {"excel-vi": (";", ",", "%d/%m/%Y"), "plain": (",", ".", "%Y-%m-%d")}
CSV_DIALECT_LABELS = {"excel-vi": "CSV cho Excel (dấu ; và dấu phẩy thập phân)",
                      "plain": "CSV dạng máy đọc (dấu , và dấu chấm thập phân)"}


def to_csv_bytes(df: pd.DataFrame, dialect: str = "excel-vi", sep: str | None = None) -> bytes:
    """UTF-8 with BOM, header row, formulas neutralised; separators, decimal mark and dates
    of the dialect (see CSV_DIALECTS). No thousands separators in either dialect."""
    field_sep, decimal, date_fmt = CSV_DIALECTS[dialect]
    df = df.copy()
    for col in df.columns:       # dates kept in object columns (DuckDB DATE -> datetime.date)
        if df[col].dtype == object and dialect != "plain":
            df[col] = df[col].map(lambda v: v.strftime(date_fmt)
                                  if isinstance(v, dt.date) and not isinstance(v, dt.datetime)
                                  else v)
    out = _cleaned(df)
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            if getattr(s.dt, "tz", None) is None and (s.dropna() == s.dropna().dt.normalize()).all():
                out[col] = s.dt.strftime(date_fmt)
            elif dialect != "plain":
                out[col] = s.dt.strftime(date_fmt + " %H:%M:%S")
        elif s.dtype == object and decimal != ".":     # decimals in mixed object columns
            out[col] = s.map(lambda v: (str(int(v)) if v.is_integer() else
                                        str(v).replace(".", decimal))
                             if isinstance(v, float) and v == v else (None if _missing(v) else v))
    text = out.to_csv(index=False, sep=sep or field_sep, decimal=decimal,
                      lineterminator="\r\n")
    return (BOM + text).encode("utf-8")


def _excel_value(value):
    if _missing(value):
        return None
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            value = str(value)
    if isinstance(value, (dt.date, dt.datetime, str, int, float, bool)):
        return value
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value)


def sheet_meta(as_of=None, filters: str | None = None, source: str | None = None,
               generated: dt.datetime | None = None) -> list[tuple[str, str]]:
    """The lines written above a sheet's header: as-of date, filters, source, when."""
    from dashboard.i18n import fmt

    generated = generated or dt.datetime.now()
    lines = []
    if as_of is not None:
        lines.append(("Số liệu tính đến", fmt.date(as_of)))
    lines.append(("Bộ lọc", filters or "không lọc (toàn bộ dữ liệu)"))
    if source:
        lines.append(("Nguồn", source))
    lines.append(("Tạo lúc", f"{fmt.date(generated.date())} {generated:%H:%M}"))
    return lines


def to_xlsx_bytes(df: pd.DataFrame, sheet_name: str = "Dữ liệu",
                  title: str | None = None, meta: list[tuple[str, str]] | None = None) -> bytes:
    """One worksheet: title line and meta lines (as-of date, filters, source) when given,
    bold header, frozen header, dates as dates.

    Text is written as text (never as a formula or a link) and neutralised as in CSV.
    Rows beyond Excel's limit are dropped; callers cap results well below it.
    """
    import xlsxwriter

    top = (1 if title else 0) + len(meta or ())
    top += 1 if top else 0                  # one empty line between the top lines and header
    out = _cleaned(df, keep_dates=True).head(XLSX_MAX_ROWS - top)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False,
                                   "nan_inf_to_errors": False})
    safe_sheet = re.sub(r"[\[\]:*?/\\]", " ", sheet_name)[:31] or "Sheet1"
    ws = wb.add_worksheet(safe_sheet)
    bold = wb.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1})
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    dt_fmt = wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    row0 = 0
    if title:
        ws.write_string(0, 0, str(neutralise(title)), wb.add_format({"bold": True,
                                                                      "font_size": 13}))
        row0 = 1
    grey = wb.add_format({"font_color": "#555555"})
    for label, value in meta or ():
        ws.write_string(row0, 0, f"{label}: {neutralise(str(value))}", grey)
        row0 += 1
    row0 = top
    widths = []
    for j, name in enumerate(out.columns):
        ws.write_string(row0, j, str(name), bold)
        widths.append(min(max(len(str(name)), 6), 60))
    columns = [out[c].tolist() for c in out.columns]
    for i in range(len(out)):
        r = row0 + 1 + i
        for j, col in enumerate(columns):
            v = _excel_value(col[i])
            if v is None:
                continue
            if isinstance(v, bool):
                ws.write_boolean(r, j, v)
            elif isinstance(v, (int, float)):
                ws.write_number(r, j, v)
            elif isinstance(v, dt.datetime):
                ws.write_datetime(r, j, v, dt_fmt if (v.hour or v.minute or v.second)
                                  else date_fmt)
                widths[j] = max(widths[j], 16 if (v.hour or v.minute) else 11)
                continue
            elif isinstance(v, dt.date):
                ws.write_datetime(r, j, dt.datetime(v.year, v.month, v.day), date_fmt)
                widths[j] = max(widths[j], 11)
                continue
            else:
                ws.write_string(r, j, str(v))
            if i < 500:
                widths[j] = min(max(widths[j], len(str(v)) + 1), 60)
    for j, w in enumerate(widths):
        ws.set_column(j, j, w + 1)
    ws.freeze_panes(row0 + 1, 0)
    wb.close()
    return buf.getvalue()


def file_name(subject: str, ext: str, as_of=None) -> str:
    """Every downloaded file's name: what it is, then its as-of date (ISO, sorts by date):
    'do-phu-theo-xa_2026-11-30.xlsx'. ASCII only (safe on every system and e-mail)."""
    from dashboard.i18n.text import fold_words

    slug = "-".join(fold_words(subject).split())[:70].strip("-") or "du-lieu"
    date = f"_{str(as_of)[:10]}" if as_of is not None else ""
    return f"{slug}{date}.{ext.lstrip('.')}"


def file_stem(name: str) -> str:
    """A safe file name stem from a title: ASCII letters, digits, '_' and '-'."""
    from dashboard.i18n.text import strip_accents

    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", strip_accents(str(name))).strip("_")
    return stem[:80] or "du_lieu"
