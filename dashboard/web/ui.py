"""Streamlit helpers shared by every page: the database, the shared filters (kept in the URL),
cached named queries, tables with downloads and "Xem SQL", charts with Vietnamese numbers.

This is the only logic-free module that imports streamlit besides app.py; pages call it.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import numbers
import traceback
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import config, contract, store
from dashboard.i18n import fmt
from dashboard.output import exports
from dashboard.store import queries

LOG = logging.getLogger("dashboard")
FILTER_KEY = "_filters"
PHASE_LABELS = {"pilot": "Thí điểm", "rollout": "Nhân rộng", "none": "Chưa có tổ"}
PLOT_CONFIG = {"displaylogo": False,
               "modeBarButtonsToRemove": ["select2d", "lasso2d", "toImage"]}


# --- database and cached queries -----------------------------------------------------------

@st.cache_resource(show_spinner=False)
def _database(path: str) -> store.Database:
    return store.open_db(path)


def get_db() -> store.Database:
    return _database(str(store.default_db_path()))


@st.cache_resource(show_spinner=False, max_entries=config.get("query_cache_entries"))
def _run_shared(path: str, version: int, name: str, params_json: str) -> pd.DataFrame:
    params = json.loads(params_json)
    return queries.run(_database(path), name, params)


def run_query(name: str, **params) -> pd.DataFrame:
    """Run a named query with the given parameters; cached until the data changes.
    One result per (data version, query, parameters) is held for every session (no copy per
    session or per rerun); each caller gets a shallow copy, which pandas' copy-on-write
    keeps from ever changing the shared frame."""
    db = get_db()
    bound = queries.rendered_params(name, params)
    return _run_shared(str(db.path), db.data_version(), name,
                       json.dumps(bound, default=str, sort_keys=True)).copy(deep=False)


# --- shared filters (sidebar), kept in the URL --------------------------------------------

def communes(as_of: dt.date | None = None) -> pd.DataFrame:
    """Communes with their phase at as_of (filter choices)."""
    return run_query("filter_communes", as_of=as_of or filters()["as_of"])


def province_name() -> str:
    names = communes().province_name.dropna()
    return names.iloc[0] if len(names) else ""


def _param_list(name: str) -> list[str]:
    raw = st.query_params.get(name, "")
    return [v for v in raw.split(",") if v] if raw else []


def sidebar_filters() -> dict:
    """Draw the shared filters in the sidebar; state lives in st.query_params so a link
    restores the view. Returns and stores the filter dict for the page."""
    qp_as_of = st.query_params.get("as_of")
    try:
        default_as_of = dt.date.fromisoformat(qp_as_of) if qp_as_of else dt.date.today()
    except ValueError:
        default_as_of = dt.date.today()
    with st.sidebar:
        st.markdown("**Bộ lọc chung**")
        as_of = st.date_input("Số liệu tính đến ngày", value=default_as_of, format="DD/MM/YYYY",
                              key="f_as_of", min_value=dt.date(2000, 1, 1),
                              max_value=dt.date(2100, 12, 31))
        cs = communes(as_of)   # phases as they stood at the chosen date
        names = dict(zip(cs.unit_code, cs.unit_name))
        phases = st.multiselect("Giai đoạn của xã", list(PHASE_LABELS),
                                default=[p for p in _param_list("phase") if p in PHASE_LABELS],
                                format_func=PHASE_LABELS.get, key="f_phase",
                                placeholder="Tất cả giai đoạn")
        chosen = st.multiselect("Xã, phường", list(names),
                                default=[c for c in _param_list("communes") if c in names],
                                format_func=lambda c: f"{names.get(c, c)} ({c})",
                                key="f_communes", placeholder="Tất cả xã, phường")
    # effective commune list for queries: the chosen communes, narrowed by phase
    effective = None
    if chosen or phases:
        pool = cs if not chosen else cs[cs.unit_code.isin(chosen)]
        if phases:
            pool = pool[pool.phase.isin(phases)]
        effective = list(pool.unit_code) or ["__none__"]
    _sync_url({"as_of": as_of.isoformat() if as_of != dt.date.today() else None,
               "phase": ",".join(phases) or None, "communes": ",".join(chosen) or None})
    with st.sidebar:
        copy_link_button()
    state = {"as_of": as_of, "communes": effective, "phases": phases, "chosen": chosen}
    st.session_state[FILTER_KEY] = state
    return state


def _sync_url(values: dict) -> None:
    for k, v in values.items():
        if v is None:
            if k in st.query_params:
                del st.query_params[k]
        elif st.query_params.get(k) != v:
            st.query_params[k] = v


def filters() -> dict:
    """The current shared filters (set by the frame before the page runs)."""
    return st.session_state.get(FILTER_KEY) or {"as_of": dt.date.today(), "communes": None,
                                                "phases": [], "chosen": []}


def filter_caption(f: dict | None = None) -> str:
    f = f or filters()
    parts = [f"Số liệu tính đến {fmt.date(f['as_of'])}"]
    if f.get("phases"):
        parts.append("giai đoạn: " + ", ".join(PHASE_LABELS[p] for p in f["phases"]))
    if f.get("chosen"):
        parts.append(f"{len(f['chosen'])} xã được chọn")
    return " · ".join(parts)


def url_value(key: str, default, allowed=None):
    """A widget's initial value from the URL (?key=…), else default; cast to default's type.
    Pass it as the widget's value/default/index so a shared link restores the view."""
    raw = st.query_params.get(key)
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


def keep_in_url(**defaults) -> None:
    """After the widgets ran: write each widget's value (session state under the same key)
    to the URL when it differs from its default, and drop it from the URL otherwise."""
    values = {}
    for key, default in defaults.items():
        if key not in st.session_state:     # widget not drawn this run (e.g. another tab)
            continue
        value = st.session_state[key]
        if isinstance(value, bool):
            values[key] = None if value == default else ("1" if value else "0")
        else:
            values[key] = None if value == default else value
    sync_params(**values)


def sync_params(**values) -> None:
    """Keep a page's own selections in the URL (None removes the parameter)."""
    _sync_url({k: (None if v in (None, "", []) else
                   ",".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v))
               for k, v in values.items()})


COPY_LINK_HTML = """
<script>
(function () {{
  var b = document.getElementById('dv-copy-link-{key}');
  if (!b || b.dataset.ready) return;
  b.dataset.ready = '1';
  b.addEventListener('click', function () {{
    var url = window.location.href, done = function () {{
      b.textContent = 'Đã sao chép liên kết'; setTimeout(function () {{
        b.textContent = 'Sao chép liên kết'; }}, 2000); }};
    if (navigator.clipboard && window.isSecureContext) {{
      navigator.clipboard.writeText(url).then(done, function () {{ fallback(url); done(); }});
    }} else {{ fallback(url); done(); }}
  }});
  function fallback(text) {{
    var ta = document.createElement('textarea'); ta.value = text;
    ta.style.position = 'fixed'; ta.style.opacity = '0'; document.body.appendChild(ta);
    ta.select(); try {{ document.execCommand('copy'); }} catch (e) {{}} ta.remove();
  }}
}})();
</script>
<button id="dv-copy-link-{key}" type="button" title="Sao chép đường dẫn tới đúng trang chiếu và bộ lọc này"
 style="font-size:.95rem;padding:.45rem .9rem;border:1px solid #d1d5db;border-radius:.5rem;
 background:#fff;cursor:pointer;width:100%">Sao chép liên kết</button>
"""


def copy_link_button(key: str = "sidebar") -> None:
    """'Sao chép liên kết': copies the current address, which carries every filter and
    selection of the page (clipboard API, or execCommand on plain-HTTP LAN servers)."""
    st.html(COPY_LINK_HTML.format(key=key), unsafe_allow_javascript=True)


# --- banners, KPI cards, charts, tables ----------------------------------------------------

def demo_banner() -> None:
    if get_db().is_demo():
        st.warning("**Dữ liệu mẫu — số liệu giả lập.** Tỉnh Bắc Ninh với 99 xã, phường thật "
                   "(danh mục 2025); thôn, tổ, mô hình và chỉ số là số liệu giả lập để minh họa.")


def metric(label: str, value, help: str | None = None, digits: int = 0, pct: bool = False):
    text = fmt.percent(value) if pct else fmt.number(value, digits)
    st.metric(label, text, help=help)


def style_figure(fig, height: int | None = None):
    """Vietnamese separators (1.234,5), readable fonts, no clutter."""
    fig.update_layout(separators=",.", font=dict(size=14), margin=dict(l=10, r=10, t=50, b=10),
                      legend_title_text="", hoverlabel=dict(font_size=14))
    # thousands as 10.000, never 10k: numeric value axes get a full-number format
    for trace in fig.data:
        if not hasattr(trace, "x") or not hasattr(trace, "y"):   # maps, pies
            continue
        horizontal = getattr(trace, "orientation", None) == "h"
        values = trace.x if horizontal else trace.y
        if values is not None and len(values) and all(
                isinstance(v, numbers.Number) and not isinstance(v, bool) for v in values[:50]):
            axis = (trace.xaxis if horizontal else trace.yaxis) or ("x" if horizontal else "y")
            name = axis.replace("x", "xaxis").replace("y", "yaxis")
            fig.update_layout({name: {"tickformat": ",~f"}})
    if height:
        fig.update_layout(height=height)
    return fig


def chart(fig, key: str, query: str | None = None, params: dict | None = None,
          height: int | None = None, png: bool = True) -> None:
    """A chart in Vietnamese style, its PNG download (rendered offline by kaleido with the
    local Chromium, only when clicked) and 'Xem SQL'."""
    styled = style_figure(fig, height)
    st.plotly_chart(styled, config=PLOT_CONFIG, key=key)
    if png:
        from dashboard.output import pack

        st.download_button("Ảnh PNG", data=lambda: pack.figure_png(styled),
                           file_name=f"{exports.file_stem(key)}.png", mime="image/png",
                           key=f"{key}_png", on_click="ignore", icon=":material/image:")
    if query:
        sql_expander(query, params or {}, key=key)


def sql_expander(name: str, params: dict, key: str) -> None:
    """'Xem SQL': the named query and the parameter values behind a figure."""
    q = queries.get(name)
    bound = queries.rendered_params(name, params)
    with st.expander(f"Xem SQL — {q.name}", expanded=False):
        st.caption(f"Truy vấn có tên `queries/{q.name}.sql` · tham số: " + (", ".join(
            f"{k} = {_param_text(v)}" for k, v in bound.items()) or "không có"))
        st.code(q.sql, language="sql", line_numbers=False)
        link = {"q": q.name, **{f"p_{k}": _param_text(v, plain=True) for k, v in bound.items()
                                if v is not None}}
        if _sql_page_exists():
            st.page_link("../pages/sql.py", label="Mở trong Phân tích SQL", icon=":material/search:",
                         query_params=link)
        st.caption("Dòng lệnh: `python -m dashboard query " + q.name + "".join(
            f" --param {k}={_param_text(v, plain=True)}" for k, v in bound.items()
            if v is not None) + "`")


def _param_text(v, plain: bool = False) -> str:
    if v is None:
        return "NULL (tất cả)"
    if isinstance(v, (list, tuple)):
        return ",".join(map(str, v))
    if isinstance(v, dt.date):
        return v.isoformat() if plain else f"{v.isoformat()} ({fmt.date(v)})"
    return str(v)


DISPLAY_ROWS = config.get("display_rows")      # rows drawn in a table; downloads hold every row
STYLED_CELLS = config.get("styled_cells")      # below pandas' styler.render.max_elements
STYLED_ROWS = config.get("styled_rows")        # longer tables: numbers sent as text
PROFILE_COLUMN = "Hồ sơ xã"
PROFILE_URL = "ho-so-xa"      # url_path of pages/commune.py in navigation.PAGES


def _page_exists(file: str) -> bool:
    return (Path(__file__).resolve().parent.parent / "pages" / file).exists()


def _sql_page_exists() -> bool:
    return _page_exists("sql.py")


def downloads(df: pd.DataFrame, name: str, key: str, title: str | None = None) -> None:
    """CSV (UTF-8 with BOM) and XLSX downloads, built only when clicked."""
    stem = exports.file_stem(title or name)
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button("⬇ CSV", lambda: exports.to_csv_bytes(df), f"{stem}.csv", "text/csv",
                       key=f"{key}_csv", width="stretch", on_click="ignore")
    c2.download_button("⬇ Excel", lambda: exports.to_xlsx_bytes(df, title=title),
                       f"{stem}.xlsx", exports.XLSX_MIME, key=f"{key}_xlsx", width="stretch",
                       on_click="ignore")

def table(df: pd.DataFrame, key: str, query: str | None = None, params: dict | None = None,
          title: str | None = None, column_config: dict | None = None,
          labels: dict | None = None, height: int | None = None,
          commune_link: str | None = None, max_rows: int | None = None) -> None:
    """A table with Vietnamese headers, CSV/XLSX downloads and 'Xem SQL'.
    At most max_rows (default DISPLAY_ROWS) rows are drawn; downloads hold every row.
    commune_link: the column holding commune codes; adds a link to each commune's profile."""
    shown = df.rename(columns=labels or {})
    # pandas' Styler refuses more than 262,144 cells: keep rows × columns under that
    cap = min(max_rows or DISPLAY_ROWS, STYLED_CELLS // max(1, len(shown.columns) + 1))
    linked = shown.head(cap)
    config = dict(column_config or {})
    if commune_link and commune_link in df.columns and _page_exists("commune.py"):
        linked = linked.copy()
        linked.insert(min(2, len(linked.columns)), PROFILE_COLUMN,
                      [f"{PROFILE_URL}?commune={c}" if isinstance(c, str) and c else ""
                       for c in df[commune_link].head(cap)])
        config[PROFILE_COLUMN] = st.column_config.LinkColumn(
            PROFILE_COLUMN, display_text="Mở hồ sơ", help="Mở trang Hồ sơ xã của xã này")
    if len(shown) > cap:
        st.caption(f"Bảng có {fmt.number(len(shown))} dòng; hiển thị {fmt.number(cap)} "
                   "dòng đầu. Tải CSV hoặc Excel để có đủ mọi dòng.")
    kw = {"height": height} if height else {}
    st.dataframe(vi_style(linked), hide_index=True, width="stretch", column_config=config, **kw)
    downloads(shown, query or key, key, title)
    if query:
        sql_expander(query, params or {}, key=key)


def vi_style(df: pd.DataFrame):
    """Display numbers the Vietnamese way (1.234,5) and empty cells as '–'. Numeric columns
    without gaps stay numeric (sorting is exact); Streamlit draws missing cells as "None"
    whatever a Styler says, so columns with gaps are shown as formatted text, and so are the
    numbers of tables longer than STYLED_ROWS (a Styler costs tens of µs per cell; the text
    is formatted once per distinct value).
    Downloads use the original frame, never this display copy."""
    df = df.copy()
    formats = {}
    for col in list(df.columns):
        s = df[col]
        if s.dtype == object:
            vals = s.dropna()
            if len(vals) and all(isinstance(v, numbers.Number) and not isinstance(v, bool)
                                 for v in vals):
                s = pd.to_numeric(s, errors="coerce")
            else:
                df[col] = ["–" if v is None or (isinstance(v, float) and v != v) else v
                           for v in s]
                continue
        if pd.api.types.is_datetime64_any_dtype(s):
            df[col] = [fmt.date(v) if pd.notna(v) else "–" for v in s]
            continue
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            continue
        vals = s.dropna().to_numpy(dtype=float)
        digits = 0 if bool(np.all(np.mod(vals[np.isfinite(vals)], 1) == 0)) and \
            bool(np.all(np.isfinite(vals))) else 2
        if s.isna().any() or len(df) > STYLED_ROWS:
            df[col] = fmt.numbers(s.astype(object).where(s.notna(), None), digits)
        else:
            df[col] = s
            formats[col] = (lambda v, d=digits: fmt.number(v, d))
    return df.style.format(formats) if formats else df


def number_column(label: str, digits: int = 0, pct: bool = False):
    """Column settings for a numeric column. The Vietnamese display (1.234,5) comes from
    vi_style; a column_config number format would use the browser's locale instead."""
    return st.column_config.Column(label + (" (%)" if pct and "%" not in label else ""))


COMMON_LABELS = {
    "unit_code": "Mã", "unit_name": "Tên", "parent_code": "Mã cấp trên",
    "households": "Số hộ", "cells": "Số tổ", "members": "Thành viên",
    "households_covered": "Hộ được phụ trách", "coverage_pct": "Độ phủ (%)",
    "uncovered_households": "Hộ chưa có tổ", "households_per_cell": "Hộ/tổ",
    "households_per_member": "Hộ/thành viên", "phase": "Giai đoạn", "communes": "Số xã",
    "members_per_cell": "Thành viên/tổ", "field": "Lĩnh vực", "models": "Số mô hình",
    "active_models": "Mô hình đang hoạt động",
}


def field_label(code: str) -> str:
    return contract.enum_label(contract.FIELDS, code)


# --- errors ------------------------------------------------------------------------------

def _log_path() -> Path:
    folder = store.default_db_path().parent / config.get("log_dir_name")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "errors.log"


def report_error(exc: BaseException) -> None:
    """A short Vietnamese message for the user; the details go to the maintainer's log."""
    ref = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        with open(_log_path(), "a", encoding="utf-8") as f:
            f.write(f"--- {ref}\n{''.join(traceback.format_exception(exc))}\n")
    except OSError:
        pass
    LOG.error("page error %s: %s", ref, exc)
    st.error(f"Đã xảy ra lỗi khi hiển thị trang này. Vui lòng thử lại hoặc báo cho quản trị viên "
             f"(mã lỗi {ref}).", icon=":material/error:")
