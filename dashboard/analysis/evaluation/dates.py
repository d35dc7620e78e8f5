"""Months: calendar month numbers, labels, months since a start (vectorised)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def month_index(value) -> int:
    """Calendar month number: 2024-03-15 and '2024-03' -> 2024*12 + 2."""
    if isinstance(value, str):
        return int(value[:4]) * 12 + int(value[5:7]) - 1
    ts = pd.Timestamp(value)
    return ts.year * 12 + ts.month - 1


def month_indices(values) -> np.ndarray:
    """month_index over a column of dates (NaT -> NaN) or of 'YYYY-MM' texts, vectorised."""
    s = pd.Series(values)
    if s.empty:
        return np.zeros(0, float)
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        text = s.astype(str)
        return (text.str[:4].astype(int) * 12 + text.str[5:7].astype(int) - 1).to_numpy(float)
    d = pd.to_datetime(s)
    return (d.dt.year * 12 + d.dt.month - 1).to_numpy(float)


def month_label(index: int) -> str:
    """2024*12+2 -> '03/2024'."""
    index = int(index)
    return f"{index % 12 + 1:02d}/{index // 12}"


def months_since(start, when) -> int:
    return month_index(when) - month_index(start)


def to_date(value) -> dt.date:
    return pd.Timestamp(value).date()


def add_months(day: dt.date, months: int) -> dt.date:
    return (pd.Timestamp(day) + pd.DateOffset(months=months)).date()


def is_month_end(day) -> bool:
    ts = pd.Timestamp(day)
    return ts.day == ts.days_in_month
