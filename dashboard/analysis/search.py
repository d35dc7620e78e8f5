"""Finding units by name or code the way the models registry finds models: case, diacritics
and punctuation ignored, abbreviations understood ("tien du" finds "Tiên Du"). No Streamlit."""
from __future__ import annotations

import functools

import pandas as pd

from dashboard.analysis.models_registry import expand_abbreviations, search_mask
from dashboard.i18n.text import fold_words, strip_accents

UNIT_COLUMNS = ("unit_code", "unit_name", "parent_name")


def unit_haystack(df: pd.DataFrame, columns=UNIT_COLUMNS) -> pd.Series:
    raw = pd.Series("", index=df.index, dtype=object)
    for col in columns:
        if col in df.columns:
            raw = raw + " " + df[col].fillna("").astype(str)
    folded = raw.map(fold_words)
    return " " + folded + " " + folded.map(expand_abbreviations) + " "


def units_matching(df: pd.DataFrame, query: str | None, columns=UNIT_COLUMNS) -> pd.DataFrame:
    """The rows whose code or name (or parent's name) holds every word of the query, each
    word matching the start of a word (a code matches from its start: '0721' finds 07210)."""
    if not query or not query.strip() or df.empty:
        return df
    return df[search_mask(unit_haystack(df, columns), query)]


@functools.lru_cache(maxsize=1 << 17)
def commune_option_label(code: str, name: str | None) -> str:
    """A commune filter choice: 'Xã Tiên Du (07210)', followed by the name without diacritics
    when it differs, so typing 'Tien Du' in the browser's own filter finds it. Remembered:
    the sidebar asks for every commune's label on every run (3,321 nationally)."""
    name = name or code
    plain = strip_accents(name)
    return f"{name} ({code})" + (f" · {plain}" if plain != name else "")
