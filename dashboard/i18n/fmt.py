"""Vietnamese number and date formatting (Babel vi_VN), never by hand or by browser locale."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache

import pandas as pd
from babel import Locale
from babel.dates import format_date
from babel.numbers import parse_pattern

LOCALE = "vi_VN"
MISSING = "—"   # what every formatter shows for a missing value


@cache
def _locale() -> Locale:
    return Locale.parse(LOCALE)


@lru_cache(maxsize=64)
def _pattern(pattern: str):
    """A Babel number pattern, parsed once (format_decimal parses it on every call)."""
    return parse_pattern(pattern)


def _apply(pattern: str, value) -> str:
    return _pattern(pattern).apply(value, _locale())


@lru_cache(maxsize=200_000)
def _cached(pattern: str, value) -> str:
    return _apply(pattern, value)


def _format(pattern: str, value) -> str:
    if value == 0:              # 0 and -0.0 are equal keys but print differently
        return _apply(pattern, value)
    try:
        return _cached(pattern, value)
    except TypeError:           # unhashable: format directly
        return _apply(pattern, value)


def _missing(value) -> bool:
    """None, NaN, NaT and pd.NA (a nullable column's empty cell) are missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def round_half_up(value, digits: int = 0) -> Decimal:
    """The one rounding of every figure shown or read out: half away from zero, on the
    number as written (53.85 -> 53.9, 2.5 -> 3). numwords uses it too, so a slide's
    figure and the words read out always agree."""
    dec = value if isinstance(value, Decimal) else Decimal(str(value))
    return dec.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def number(value, digits: int = 0) -> str:
    """1234567.8 -> '1.234.567,8' (digits = decimals shown at most)."""
    if _missing(value):
        return MISSING
    return _format("#,##0" + ("." + "#" * digits if digits else ""), round_half_up(value, digits))


def fixed(value, digits: int = 1) -> str:
    """Always `digits` decimals: 45.0 -> '45,0'."""
    if _missing(value):
        return MISSING
    return _format("#,##0" + ("." + "0" * digits if digits else ""), round_half_up(value, digits))


def percent(value, digits: int = 1) -> str:
    """Takes a percentage (45.7, not 0.457) -> '45,7%'."""
    if _missing(value):
        return MISSING
    return _format("#,##0" + ("." + "0" * digits if digits else "") + "%",
                   round_half_up(value, digits) / 100)


def date(value) -> str:
    """-> 'dd/mm/yyyy'."""
    if value is None or (isinstance(value, str) and not value) or \
            (not isinstance(value, str) and _missing(value)):
        return MISSING
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if hasattr(value, "date") and callable(value.date):
        value = value.date()
    return format_date(value, format="dd/MM/yyyy", locale=LOCALE)


def month(value) -> str:
    """'2024-03' or a date -> '03/2024'."""
    if _missing(value) or (isinstance(value, str) and not value):
        return MISSING
    text = str(value)[:7]
    return f"{text[5:7]}/{text[:4]}"


def numbers(values, digits: int = 0, exact: bool = False) -> list[str]:
    """number() (or, with exact, fixed(): always `digits` decimals) of every value of a
    column (MISSING where missing), each distinct value formatted once."""
    one = fixed if exact else number
    memo: dict = {}
    out = []
    for v in values:
        if _missing(v):
            out.append(MISSING)
            continue
        text = memo.get(v) if v != 0 else None
        if text is None:
            text = memo[v] = one(v, digits)
        out.append(text)
    return out


def coordinates(latitude, longitude, digits: int = 4) -> str:
    """21.3647, 106.27 -> '21,3647° B; 106,2700° Đ' (decimal commas never read as a list)."""
    if _missing(latitude) or _missing(longitude):
        return MISSING
    ns = "B" if latitude >= 0 else "N"
    ew = "Đ" if longitude >= 0 else "T"
    return (f"{fixed(abs(latitude), digits)}° {ns}; {fixed(abs(longitude), digits)}° {ew}")
