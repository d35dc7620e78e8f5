"""Vietnamese number and date formatting (Babel vi_VN), never by hand or by browser locale."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache

import numpy as np
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


_SWAP = str.maketrans({",": ".", ".": ","})


def _plain(dec: Decimal, digits: int, exact: bool) -> str:
    """What Babel's vi_VN pattern "#,##0.###" (or, with exact, "#,##0.000") prints for a
    value already rounded by round_half_up to `digits` decimals: '.' groups thousands, ','
    marks decimals, a signed value (-0 too) starts with '-'; without exact, trailing zeros
    and a bare ',' are dropped. String work only (Babel's apply costs ~20 µs a value);
    tests compare it with Babel on many values."""
    if not dec.is_finite() or dec.adjusted() > 20:     # Babel's own way (or error)
        pattern = "#,##0" + ("." + ("0" if exact else "#") * digits if digits else "")
        return _format(pattern, dec)
    text = format(dec, f",.{digits}f").translate(_SWAP)
    if digits and not exact:
        text = text.rstrip("0").rstrip(",")
    return text


def _whole(value: int, digits: int, exact: bool) -> str:
    """_plain of a whole number (no Decimal needed)."""
    text = format(value, ",").replace(",", ".")
    return text + "," + "0" * digits if exact and digits else text


def _float(value: float, digits: int, exact: bool) -> str:
    """_plain(round_half_up(value, digits)) of a float, on its written digits without
    Decimal: round half up = add one when the first dropped digit is 5 or more."""
    text = str(value)
    if "e" in text or "n" in text:          # 1e+16, inf, nan: the Decimal way
        return _plain(round_half_up(value, digits), digits, exact)
    sign = "-" if text[0] == "-" else ""
    whole, _, frac = text.lstrip("-").partition(".")
    if len(frac) > digits:
        n = int(whole + frac[:digits]) + (frac[digits] >= "5")
    else:
        n = int(whole + frac.ljust(digits, "0"))
    if not digits:
        return sign + format(n, ",").replace(",", ".")
    n, rest = divmod(n, 10 ** digits)
    frac = str(rest).rjust(digits, "0")
    if not exact:
        frac = frac.rstrip("0")
    return sign + format(n, ",").replace(",", ".") + ("," + frac if frac else "")


def _text(value, digits: int, exact: bool) -> str:
    """number() / fixed() of a value known not to be missing."""
    if type(value) is int or (isinstance(value, np.integer) and not isinstance(value, bool)):
        return _whole(int(value), digits, exact)
    if type(value) is float:
        return _float(value, digits, exact)
    return _plain(round_half_up(value, digits), digits, exact)


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
    return _text(value, digits, False)


def fixed(value, digits: int = 1) -> str:
    """Always `digits` decimals: 45.0 -> '45,0'."""
    if _missing(value):
        return MISSING
    return _text(value, digits, True)


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
    col = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if col.dtype != object:
        col = col.astype(object)
    arr = col.to_numpy()
    out = np.full(len(arr), MISSING, dtype=object)
    present = ~pd.isna(arr)
    if not present.any():
        return out.tolist()
    vals = arr[present]
    try:
        codes, uniques = pd.factorize(vals)
    except TypeError:           # unhashable values: one at a time
        one = fixed if exact else number
        out[present] = [one(v, digits) for v in vals]
        return out.tolist()
    if pd.api.types.infer_dtype(uniques, skipna=False) == "integer":     # _whole in one pass
        tail = "," + "0" * digits if exact and digits else ""
        texts = np.array([format(u, ",").replace(",", ".") + tail for u in uniques.tolist()],
                         dtype=object)
    else:
        texts = np.array([_text(u, digits, exact) for u in uniques], dtype=object)
    shown = texts[codes]
    # 0, 0.0 and -0.0 are one key but print differently: each zero on its own
    zero = np.flatnonzero(vals == 0)
    if len(zero):
        shown[zero] = [_text(vals[i], digits, exact) for i in zero]
    out[present] = shown
    return out.tolist()


def coordinates(latitude, longitude, digits: int = 4) -> str:
    """21.3647, 106.27 -> '21,3647° B; 106,2700° Đ' (decimal commas never read as a list)."""
    if _missing(latitude) or _missing(longitude):
        return MISSING
    ns = "B" if latitude >= 0 else "N"
    ew = "Đ" if longitude >= 0 else "T"
    return (f"{fixed(abs(latitude), digits)}° {ns}; {fixed(abs(longitude), digits)}° {ew}")
