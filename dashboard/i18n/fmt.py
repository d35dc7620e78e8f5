"""Vietnamese number and date formatting (Babel vi_VN), never by hand or by browser locale."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

LOCALE = "vi_VN"
MISSING = "—"   # what every formatter shows for a missing value


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
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(round_half_up(value, digits), format=pattern, locale=LOCALE)


def fixed(value, digits: int = 1) -> str:
    """Always `digits` decimals: 45.0 -> '45,0'."""
    if _missing(value):
        return MISSING
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(round_half_up(value, digits), format=pattern, locale=LOCALE)


def percent(value, digits: int = 1) -> str:
    """Takes a percentage (45.7, not 0.457) -> '45,7%'."""
    if _missing(value):
        return MISSING
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(round_half_up(value, digits) / 100, format=pattern, locale=LOCALE)


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
