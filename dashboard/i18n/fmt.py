"""Vietnamese number and date formatting (Babel vi_VN), never by hand or by browser locale."""
from __future__ import annotations

import datetime as dt
import math

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

LOCALE = "vi_VN"


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(math.isnan(value))
    except TypeError:
        return False


def number(value, digits: int = 0) -> str:
    """1234567.8 -> '1.234.567,8' (digits = decimals shown at most)."""
    if _missing(value):
        return "–"
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def fixed(value, digits: int = 1) -> str:
    """Always `digits` decimals: 45.0 -> '45,0'."""
    if _missing(value):
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def percent(value, digits: int = 1) -> str:
    """Takes a percentage (45.7, not 0.457) -> '45,7%'."""
    if _missing(value):
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(value / 100, format=pattern, locale=LOCALE)


def date(value) -> str:
    """-> 'dd/mm/yyyy'."""
    if value is None or (not isinstance(value, (dt.date, str)) and _missing(value)):
        return "–"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if hasattr(value, "date") and callable(value.date):
        value = value.date()
    return format_date(value, format="dd/MM/yyyy", locale=LOCALE)


def month(value) -> str:
    """'2024-03' or a date -> '03/2024'."""
    if value is None:
        return "–"
    text = str(value)[:7]
    return f"{text[5:7]}/{text[:4]}"


def coordinates(latitude, longitude, digits: int = 4) -> str:
    """21.3647, 106.27 -> '21,3647° B; 106,2700° Đ' (decimal commas never read as a list)."""
    if _missing(latitude) or _missing(longitude):
        return "–"
    ns = "B" if latitude >= 0 else "N"
    ew = "Đ" if longitude >= 0 else "T"
    return (f"{fixed(abs(latitude), digits)}° {ns}; {fixed(abs(longitude), digits)}° {ew}")
