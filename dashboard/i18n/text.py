"""Vietnamese text folding: compare names and headers without case, diacritics or punctuation."""
from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def strip_accents(text: str) -> str:
    """'Đồng Nai' -> 'Dong Nai' (đ/Đ are letters of their own in Unicode, not d + mark)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def fold(text: object) -> str:
    """Key for matching: lower case, no diacritics, no spaces or punctuation.

    >>> fold("Số hộ phụ trách") == fold("so_ho_phu_trach") == "sohophutrach"
    True
    """
    if text is None:
        return ""
    return _NON_ALNUM.sub("", strip_accents(str(text)).lower())


def fold_words(text: object) -> str:
    """Like fold() but keeps single spaces between words (for search and similarity)."""
    if text is None:
        return ""
    return " ".join(_NON_ALNUM.sub(" ", strip_accents(str(text)).lower()).split())
