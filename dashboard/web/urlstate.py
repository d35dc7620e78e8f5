"""Page state <-> URL query parameters, so a link reopens exactly the same view.

The one URL-state module. Pure helpers (no Streamlit import): pages read `st.query_params`
into typed state with `decode()` and write their state back with `encode()`; `share_url()`
builds the link to copy; `url_value`, `seed_widget`, `sync_params`, `keep_in_url` and
`write_repeated` tie widgets to the URL (web/ui.py passes st.query_params and
st.session_state); `profile_commune` decides which commune Hồ sơ xã opens.

Encoding: dates ISO (`2025-06-30`), lists comma-joined (`communes=25111,25114`), booleans
`1`/`0`, numbers as plain text; empty values (None, "", []) are left out of the URL.
A value that does not parse is dropped (the page then uses its default), never an error.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

# Types of the parameters the app's pages share. Pages may pass their own `types`.
# date | list | int | float | bool | str
STATE_TYPES: dict[str, str] = {
    "as_of": "date",
    "start": "date",
    "end": "date",
    "communes": "list",
    "level": "str",
    "slide": "int",
    "field": "str",
    "phase": "str",
    "indicator": "str",
    "unit": "str",
    "metric": "str",
    "tab": "str",
}


def _encode_value(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "isoformat") and hasattr(value, "date"):  # pandas Timestamp
        return value.date().isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        text = ",".join(str(v).strip() for v in items if v is not None and str(v).strip())
        return text or None
    if isinstance(value, float) and value != value:
        return None
    text = str(value)
    return text if text != "" else None


def encode(state: Mapping[str, object]) -> dict[str, str]:
    """Typed state -> query parameters (text); empty values are dropped."""
    out: dict[str, str] = {}
    for key, value in state.items():
        text = _encode_value(value)
        if text is not None:
            out[key] = text
    return out


def _decode_value(kind: str, text: str):
    text = text.strip()
    if text == "":
        return None
    if kind == "date":
        return dt.date.fromisoformat(text[:10])
    if kind == "list":
        return [t.strip() for t in text.split(",") if t.strip()] or None
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "bool":
        low = text.lower()
        if low in ("1", "true", "yes", "co", "có"):
            return True
        if low in ("0", "false", "no", "khong", "không"):
            return False
        raise ValueError(text)
    return text


def decode(params: Mapping[str, object], types: Mapping[str, str] | None = None,
           keys: list[str] | None = None) -> dict[str, object]:
    """Query parameters -> typed state.

    params: st.query_params or any mapping of text (a list value takes its last item, as
    st.query_params does). types: key -> kind (defaults to STATE_TYPES; unknown keys are
    text). keys: only these keys. Values that do not parse are dropped.
    """
    kinds = {**STATE_TYPES, **(types or {})}
    out: dict[str, object] = {}
    for key in (keys if keys is not None else list(params.keys())):
        if key not in params:
            continue
        raw = params[key]
        if isinstance(raw, (list, tuple)):
            if kinds.get(key) == "list" and len(raw) > 1:
                raw = ",".join(str(r) for r in raw)
            else:
                raw = raw[-1] if raw else ""
        try:
            value = _decode_value(kinds.get(key, "str"), str(raw))
        except (ValueError, TypeError):
            continue
        if value is not None:
            out[key] = value
    return out


def query_string(state: Mapping[str, object]) -> str:
    """'as_of=2025-06-30&communes=25111,25114' (commas and hyphens left readable)."""
    return urlencode(encode(state), quote_via=quote, safe=",-:")


def share_url(base_url: str, state: Mapping[str, object]) -> str:
    """The page URL (without its query) + the encoded state; keeps the page path."""
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query_string(state), ""))


def changed(current: Mapping[str, object], state: Mapping[str, object]) -> dict[str, str]:
    """The query parameters to write so the URL matches `state` (compared as text):
    a dict of key -> new text, with "" for keys to remove. Writing only changes avoids
    needless reruns."""
    want = encode(state)
    have = {k: (v[-1] if isinstance(v, (list, tuple)) and v else v)
            for k, v in current.items()}
    diff = {k: v for k, v in want.items() if str(have.get(k, "")) != v}
    for key in state:
        if key not in want and key in have:
            diff[key] = ""
    return diff


def apply(query_params, state: Mapping[str, object]) -> bool:
    """Write `state` into a mutable mapping such as st.query_params (only what changed);
    returns True when something was written."""
    diff = changed(dict(query_params.items()) if hasattr(query_params, "items") else {},
                   state)
    for key, text in diff.items():
        if text == "":
            if key in query_params:
                del query_params[key]
        else:
            query_params[key] = text
    return bool(diff)


def date_bounds(first, last, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The dates a date filter may take: the data's first date (1 Jan 2000 with no data)
    to its last date or today, whichever is later."""
    today = today or dt.date.today()

    def day(v):
        if v is None or v != v:   # None, NaN/NaT
            return None
        return v.date() if hasattr(v, "date") and callable(v.date) else v

    lo, hi = day(first), day(last)
    lo = min(lo, today) if lo else dt.date(2000, 1, 1)
    hi = max(hi, today) if hi else today
    return lo, hi


def clamp_date(text: str | None, lo: dt.date, hi: dt.date,
               default: dt.date) -> tuple[dt.date, str | None]:
    """A date from a link, kept within [lo, hi] -> (date, Vietnamese note or None).
    A date outside the data's range is moved to its nearest end; a date that does not parse
    gives `default`; both with a note saying so."""
    from dashboard.i18n import fmt

    if not text:
        return min(max(default, lo), hi), None
    try:
        value = dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return min(max(default, lo), hi), (
            "Ngày trong liên kết không hợp lệ; đang hiển thị số liệu đến "
            f"{fmt.date(min(max(default, lo), hi))}.")
    if lo <= value <= hi:
        return value, None
    shown = lo if value < lo else hi
    return shown, (f"Ngày {fmt.date(value)} trong liên kết nằm ngoài khoảng ngày của dữ liệu "
                   f"({fmt.date(lo)} – {fmt.date(hi)}); đang hiển thị số liệu đến "
                   f"{fmt.date(shown)}.")


# -- widget state <-> URL (used through web/ui.py and the pages with st.query_params and
#    st.session_state; plain mappings here so tests need no Streamlit) ----------------------

def url_value(query_params: Mapping, key: str, default, allowed=None):
    """A widget's initial value from the URL (?key=…), else default; cast to default's type.
    Pass it as the widget's value/default/index so a shared link restores the view."""
    raw = query_params.get(key)
    if raw is None or raw == "":
        return default
    try:
        if isinstance(default, bool):
            value = raw.lower() in ("1", "true", "yes", "co")
        elif isinstance(default, int):
            value = int(float(raw))
        elif isinstance(default, float):
            value = float(raw)
        elif isinstance(default, tuple):       # ranges, e.g. (5, 8) <-> "5,8"
            value = tuple(type(default[0])(v) for v in raw.split(","))
            if len(value) != len(default):
                return default
        elif isinstance(default, list):
            value = [v for v in raw.split(",") if v]
        else:
            value = raw
    except ValueError:
        return default
    if allowed is not None:
        if isinstance(value, list):
            value = [v for v in value if v in allowed]
        elif value not in allowed:
            return default
    return value


def seed_widget(session_state, query_params, key: str, multi: bool = False, default=None,
                allowed=None, cast=str) -> None:
    """Before a widget is drawn the first time: its state from the URL (repeated parameters
    for multi-valued widgets, so values may hold commas), else default."""
    if key in session_state:
        return
    try:
        raw = query_params.get_all(key) if multi else query_params.get(key)
        value = ([cast(v) for v in raw] if multi else cast(raw)) if raw else None
    except ValueError:
        value = None
    if value is not None and allowed is not None:
        value = [v for v in value if v in allowed] if multi else (
            value if value in allowed else None)
    if value is None:
        value = default
    if value is not None:
        session_state[key] = value


def write_repeated(query_params, key: str, values: list[str]) -> None:
    """A multi-valued widget's values as a repeated parameter (?f=a&f=b)."""
    if query_params.get_all(key) != values:
        if values:
            query_params[key] = values
        elif key in query_params:
            del query_params[key]


def sync_params(query_params, values: Mapping[str, object]) -> None:
    """Keep a page's own selections in the URL (None, "" or [] removes the parameter)."""
    for k, v in values.items():
        text = (None if v in (None, "", []) else
                ",".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v))
        if text is None:
            if k in query_params:
                del query_params[k]
        elif query_params.get(k) != text:
            query_params[k] = text


def keep_in_url(query_params, session_state, defaults: Mapping[str, object]) -> None:
    """After the widgets ran: write each widget's value (session state under the same key)
    to the URL when it differs from its default, and drop it from the URL otherwise."""
    values = {}
    for key, default in defaults.items():
        if key not in session_state:     # widget not drawn this run (e.g. another tab)
            continue
        value = session_state[key]
        if isinstance(value, bool):
            values[key] = None if value == default else ("1" if value else "0")
        else:
            values[key] = None if value == default else value
    sync_params(query_params, values)


def profile_commune(wanted: str | None, available: list[str], chosen: list[str] | None,
                    effective: list[str] | None) -> tuple[str | None, list[str]]:
    """Which commune Hồ sơ xã opens, and the choices it offers.

    A link (?commune=…) decides when it names a known commune; else the first commune chosen
    in the sidebar filter that the filter keeps (phase narrowing applied); else the first of
    the filtered communes when only a phase is chosen; else none (the page asks). With a
    sidebar filter, its communes come first in the choices."""
    known = set(available)
    scope = [c for c in (effective or []) if c in known]
    first = [c for c in (chosen or []) if c in scope] or scope
    options = first + [c for c in scope if c not in first]
    options += [c for c in available if c not in set(options)]
    if wanted in known:
        return wanted, options
    return (first[0] if first else None), options
