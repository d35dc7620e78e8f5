"""Parse one cell of text into the contract's types. Each parser returns the value or raises
ValueError with a Vietnamese message (the caller adds row, column and value)."""
from __future__ import annotations

import datetime as dt
import re

EXCEL_EPOCH = dt.date(1899, 12, 30)
_INT = re.compile(r"^[+-]?\d+$")
_INT_DOTS = re.compile(r"^\d{1,3}(\.\d{3})+$")        # 1.234.567 (Vietnamese thousands)
_INT_SPACES = re.compile(r"^\d{1,3}([ \u00a0]\d{3})+$")
_DEC_COMMA = re.compile(r"^[+-]?\d{1,3}(\.\d{3})*,\d+$|^[+-]?\d+,\d+$")
_DEC_POINT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(:\d{2})?)?$")
_MY = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
_YM = re.compile(r"^(\d{4})[-/.](\d{1,2})$")


def parse_integer(text: str) -> int:
    t = text.strip()
    if _INT.match(t):
        return int(t)
    if _INT_DOTS.match(t) or _INT_SPACES.match(t):
        return int(re.sub(r"[.\s\u00a0]", "", t))
    if re.match(r"^[+-]?\d+\.0+$", t):  # 12.0 from a spreadsheet
        return int(float(t))
    raise ValueError("không phải số nguyên")


def parse_decimal(text: str) -> float:
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    if _DEC_COMMA.match(t):
        return float(t.replace(".", "").replace(",", "."))
    if _INT_DOTS.match(t) and t.count(".") >= 2:   # 1.234.567; a single dot is a decimal point
        return float(t.replace(".", ""))
    if _DEC_POINT.match(t):
        return float(t)
    raise ValueError("không phải số")


def _date(y: int, m: int, d: int) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise ValueError("ngày không tồn tại") from None


def parse_date(text: str) -> dt.date:
    t = text.strip()
    m = _YMD.match(t)
    if m:
        return _date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _DMY.match(t)
    if m:
        return _date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    if re.match(r"^\d{4,5}(\.0+)?$", t):  # Excel serial date kept as a number
        serial = int(float(t))
        if 1 <= serial <= 80000:
            return EXCEL_EPOCH + dt.timedelta(days=serial)
    raise ValueError("không phải ngày (dùng dd/mm/yyyy hoặc yyyy-mm-dd)")


def parse_month(text: str) -> str:
    t = text.strip()
    m = _YM.match(t)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    m = _MY.match(t)
    if m and 1 <= int(m.group(1)) <= 12:
        return f"{int(m.group(2)):04d}-{int(m.group(1)):02d}"
    try:
        d = parse_date(t)
    except ValueError:
        raise ValueError("không phải kỳ tháng (dùng YYYY-MM hoặc MM/YYYY)") from None
    return f"{d.year:04d}-{d.month:02d}"


_FORMULA_CALL = re.compile(r"^[+\-@]\s*[A-Za-z_][A-Za-z0-9_.]*\s*[(!|]")


def looks_like_formula(text: str) -> bool:
    """A spreadsheet formula typed or pasted into a cell: '=SUM(A1:A3)', '=A1*2',
    '@SUM(A1)', '+cmd|...'. Negative numbers and '=5' style numbers are not formulas."""
    t = text.strip()
    if t.startswith("=") and len(t) > 1:
        return not _DEC_POINT.match(t[1:].strip())
    return bool(_FORMULA_CALL.match(t))
