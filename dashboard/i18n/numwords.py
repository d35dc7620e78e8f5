"""Numbers in Vietnamese words, as a presenter reads them aloud.

    >>> words(72)
    'bảy mươi hai'
    >>> percent_words(72.5)
    'bảy mươi hai phẩy năm phần trăm'
    >>> words(2098)
    'hai nghìn không trăm chín mươi tám'

Northern usage (nghìn, linh); the reading rules: "mười" for 10–19, "mươi" from 20; a final 1
after 20 is "mốt", a final 5 after 10 is "lăm", a final 4 after 20 is "tư"; a zero tens digit
after hundreds is "linh"; inner groups of three always say their hundreds ("không trăm").
Decimals are read digit by digit after "phẩy" (the Vietnamese decimal comma).
"""
from __future__ import annotations

from dashboard.i18n.fmt import _missing, round_half_up

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
# Scale words for groups of three digits; beyond "tỷ" the scale repeats ("nghìn tỷ", ...).
_SCALES = ("", "nghìn", "triệu")


def _tens_units(n: int) -> list[str]:
    """0 < n < 100."""
    tens, units = divmod(n, 10)
    if tens == 0:
        return [DIGITS[units]]
    out = ["mười"] if tens == 1 else [DIGITS[tens], "mươi"]
    if units == 0:
        return out
    if units == 1 and tens >= 2:
        out.append("mốt")
    elif units == 5:
        out.append("lăm")
    elif units == 4 and tens >= 2:
        out.append("tư")
    else:
        out.append(DIGITS[units])
    return out


def _group(n: int, full: bool) -> list[str]:
    """0 < n < 1000; full: say the hundreds even when zero (inner groups)."""
    hundreds, rest = divmod(n, 100)
    out: list[str] = []
    if hundreds or full:
        out += [DIGITS[hundreds], "trăm"]
        if 0 < rest < 10:
            out.append("linh")
    if rest:
        out += _tens_units(rest)
    return out


def _below_billion(n: int, leading: bool) -> list[str]:
    """0 < n < 10**9."""
    groups = []
    while n:
        n, g = divmod(n, 1000)
        groups.append(g)
    out: list[str] = []
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            continue
        out += _group(g, full=bool(out) or not leading)
        if _SCALES[i]:
            out.append(_SCALES[i])
    return out


def _integer(n: int, leading: bool = True) -> list[str]:
    if n == 0:
        return [DIGITS[0]]
    billions, rest = divmod(n, 10**9)
    out: list[str] = []
    if billions:
        out += _integer(billions, leading) + ["tỷ"]
    if rest:
        out += _below_billion(rest, leading=leading and not billions)
    return out


def words(value, digits: int | None = None) -> str:
    """A number in words. digits: round to that many decimals first (None = as given,
    at most 6); trailing zero decimals are not read ("72,0" reads as "bảy mươi hai")."""
    if _missing(value):
        return "không có số liệu"
    dec = round_half_up(value, 6 if digits is None else digits)   # the figures' rounding
    negative = dec < 0
    dec = abs(dec)
    text = format(dec, "f")
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    out = (["âm"] if negative and (int(whole) or frac) else []) + _integer(int(whole))
    if frac:
        out.append("phẩy")
        out += [DIGITS[int(d)] for d in frac]
    return " ".join(out)


def percent_words(value, digits: int = 1) -> str:
    """A percentage (45.7, not 0.457) in words: 'bốn mươi lăm phẩy bảy phần trăm'."""
    if _missing(value):
        return "không có số liệu"
    return f"{words(value, digits)} phần trăm"


def capitalize(text: str) -> str:
    """First letter upper case, the rest untouched (str.capitalize lowers the rest)."""
    return text[:1].upper() + text[1:]
