"""Streamlit helpers shared by every page: the database, the shared filters (kept in the URL),
cached named queries, tables with downloads and "Xem SQL", charts with Vietnamese numbers.

This is the only logic-free module that imports streamlit besides app.py; pages call it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import numbers
import traceback
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import streamlit as st

from dashboard import config, contract, store
from dashboard.analysis.search import commune_option_label
from dashboard.i18n import fmt, labels
from dashboard.output import exports
from dashboard.store import province, queries
from dashboard.web import urlstate

LOG = logging.getLogger("dashboard")
FILTER_KEY = "_filters"
PHASE_LABELS = labels.PHASE_LABELS
PLOT_CONFIG = {"displaylogo": False,
               "modeBarButtonsToRemove": ["select2d", "lasso2d", "toImage"]}


# --- database and cached queries -----------------------------------------------------------

@st.cache_resource(show_spinner=False)
def _database(path: str) -> store.Database:
    return store.open_db(path)


def base_db() -> store.Database:
    """The database itself: for writes through the data layer's checks, accounts and audit.
    Pages read through get_db()."""
    return _database(str(store.default_db_path()))


PRINCIPAL_KEY = "_principal"
_RUN_KEY, _MEMO_KEY = "_run_token", "_run_memo"


def start_run() -> None:
    """Mark a new script run (app.py calls it first): per_run answers are asked again."""
    st.session_state[_RUN_KEY] = object()


def per_run(name, compute):
    """compute() once per script run (a page asks the same small question for each of its
    figures: who is logged in, which month is approved). Without start_run: every time."""
    token = st.session_state.get(_RUN_KEY)
    if token is None:
        return compute()
    memo = st.session_state.get(_MEMO_KEY)
    if memo is None or memo[0] is not token:
        memo = st.session_state[_MEMO_KEY] = (token, {})
    if name not in memo[1]:
        memo[1][name] = compute()
    return memo[1][name]


def principal():
    """Who this session runs as (set by the login in app.py): LOCAL when no users are
    configured, else the logged-in user, else nobody (sees nothing)."""
    from dashboard.access import LOCAL, NOBODY, users

    p = st.session_state.get(PRINCIPAL_KEY)
    if p is not None:
        return p
    return NOBODY if per_run("any_users", lambda: users.any_users(base_db())) else LOCAL


def get_db():
    """The data this session may read: the scoped view of the database for its principal
    (dashboard/access/scope.py), so every query, table, map and download is within scope."""
    from dashboard.access import scope

    return scope.database_for(base_db(), principal())


def can(action: str) -> bool:
    return principal().can(action)


def require(action: str) -> None:
    """Stop the page with a Vietnamese message unless the session's role allows `action`."""
    from dashboard.access import audit
    from dashboard.access.principal import Forbidden
    from dashboard.access.principal import require as _require

    try:
        _require(principal(), action)
    except Forbidden as exc:
        audit.record(base_db(), principal(), "forbidden", action)
        st.error(str(exc), icon=":material/block:")
        st.stop()


def audit(action: str, detail=None) -> None:
    from dashboard.access import audit as _audit

    _audit.record(base_db(), principal(), action, detail)


def esc(text) -> str:
    """User text (names from uploaded files) for any call that renders Markdown (st.title,
    st.header, st.markdown, st.caption, st.info, labels …): shown as text, never as Markdown,
    HTML, links or images."""
    from dashboard.access import safe_text

    return safe_text.markdown(text)


def safe_figure(fig):
    """A Plotly figure drawn without ui.chart: its texts from user data shown as text."""
    from dashboard.access import safe_text

    return safe_text.plotly_figure(fig)


def esc_html(text) -> str:
    """User text for Plotly titles, hover and labels (Plotly reads a subset of HTML)."""
    from dashboard.access import safe_text

    return safe_text.html(text)


@st.cache_resource(show_spinner=False, max_entries=config.get("query_cache_entries"))
def _run_shared(path: str, version: int, name: str, params_json: str, _db=None) -> pd.DataFrame:
    params = json.loads(params_json)
    return queries.run(_db if _db is not None else _database(path), name, params)


def data_version(db=None) -> int:
    """db.data_version() (default: the session's data), asked once per script run and again
    after any write of this process (a page that imports and then draws sees the new data)."""
    db = db if db is not None else get_db()
    return per_run(("data_version", str(db.path), store.database.writes()), db.data_version)


def run_query(name: str, **params) -> pd.DataFrame:
    """Run a named query with the given parameters; cached until the data changes.
    One result per (scope, data version, query, parameters) is held for every session (no
    copy per session or per rerun; db.path differs per scope); each caller gets a shallow
    copy, which pandas' copy-on-write keeps from ever changing the shared frame."""
    db = get_db()
    return run_query_on(db, data_version(db), name, **params)


def run_query_on(db, version: int, name: str, **params) -> pd.DataFrame:
    """run_query on a given database and data version (a background thread, which has no
    session, fills the same shared cache as the pages read)."""
    bound = queries.rendered_params(name, params)
    return _run_shared(str(db.path), version, name,
                       json.dumps(bound, default=str, sort_keys=True), _db=db).copy(deep=False)


@st.cache_resource(show_spinner=False, max_entries=config.get("query_cache_entries"))
def _derived_shared(path: str, version: int, name: str, deps_json: str, _compute=None):
    return _compute()


def derived(name: str, deps: dict, compute):
    """compute() once per (scope, data version, name, deps) for every session: a built figure,
    a shaped frame. deps must name everything the result depends on besides the data; the
    result is shared, so callers never change it."""
    db = get_db()
    return derived_on(db, data_version(db), name, deps, compute)


def derived_on(db, version: int, name: str, deps: dict, compute):
    """derived on a given database and data version (see run_query_on)."""
    return _derived_shared(str(db.path), version, name,
                           json.dumps(deps, default=str, sort_keys=True), _compute=compute)


# --- shared filters (sidebar), kept in the URL --------------------------------------------

def communes(as_of: dt.date | None = None) -> pd.DataFrame:
    """Communes with their phase at as_of (filter choices)."""
    return run_query("filter_communes", as_of=as_of or filters()["as_of"])


def province_name() -> str:
    """What the data covers (the chosen province on a national board), for titles."""
    chosen = st.session_state.get("f_province", st.query_params.get("province"))
    return province.title(get_db(), chosen)


def _param_list(name: str) -> list[str]:
    raw = st.query_params.get(name, "")
    return [v for v in raw.split(",") if v] if raw else []


def sidebar_filters() -> dict:
    """Draw the shared filters in the sidebar; state lives in st.query_params so a link
    restores the view. Returns and stores the filter dict for the page."""
    from dashboard.web import urlstate

    span = run_query("data_date_range")
    lo, hi = urlstate.date_bounds(*(span.iloc[0] if len(span) else (None, None)))
    default_as_of, note = urlstate.clamp_date(st.query_params.get("as_of"), lo, hi,
                                              dt.date.today())
    if "f_as_of" in st.session_state and not lo <= st.session_state["f_as_of"] <= hi:
        st.session_state["f_as_of"] = default_as_of   # the data changed under the widget
    with st.sidebar:
        st.markdown("**Bộ lọc chung**")
        as_of = st.date_input("Số liệu tính đến ngày", value=default_as_of, format="DD/MM/YYYY",
                              key="f_as_of", min_value=lo, max_value=hi)
        if note:
            st.info(note, icon=":material/event:")
        cs = communes(as_of)   # phases as they stood at the chosen date
        prov, prov_name = _province_filter(cs)
        cs = province.communes_in(cs, prov)
        names = dict(zip(cs.unit_code, cs.unit_name))
        phases = st.multiselect("Giai đoạn của xã", list(PHASE_LABELS),
                                default=[p for p in _param_list("phase") if p in PHASE_LABELS],
                                format_func=PHASE_LABELS.get, key="f_phase",
                                placeholder="Tất cả giai đoạn")
        chosen = st.multiselect("Xã, phường", list(names),
                                default=[c for c in _param_list("communes") if c in names],
                                format_func=lambda c: commune_option_label(c, names.get(c)),
                                key="f_communes", placeholder="Tất cả xã, phường",
                                help="Gõ tên có dấu hoặc không dấu, hoặc mã xã để tìm")
    # effective commune list for queries: the chosen communes, narrowed by phase
    effective = None
    if prov and not (chosen or phases):
        effective = list(cs.unit_code) or ["__none__"]
    if chosen or phases:
        pool = cs if not chosen else cs[cs.unit_code.isin(chosen)]
        if phases:
            pool = pool[pool.phase.isin(phases)]
        effective = list(pool.unit_code) or ["__none__"]
    _sync_url({"province": prov,
               "as_of": as_of.isoformat() if as_of != dt.date.today() else None,
               "phase": ",".join(phases) or None, "communes": ",".join(chosen) or None})
    with st.sidebar:
        copy_link_button()
    state = {"as_of": as_of, "communes": effective, "phases": phases, "chosen": chosen,
             "province": prov, "province_name": prov_name}
    st.session_state[FILTER_KEY] = state
    return state


def _province_filter(cs: pd.DataFrame) -> tuple[str | None, str | None]:
    """'Tỉnh, thành phố' when the data holds several provinces (a national board); the
    choice is kept in the URL (?province=04) and maps to its communes in province.py."""
    found = cs.dropna(subset=["province_code"]).drop_duplicates("province_code")
    options = dict(zip(found.province_code, found.province_name))
    if len(options) < 2:
        return None, None
    wanted = st.query_params.get("province")
    codes = sorted(options, key=lambda c: options[c])
    choice = st.selectbox("Tỉnh, thành phố", [None, *codes],
                          index=1 + codes.index(wanted) if wanted in options else 0,
                          format_func=lambda c: (f"Tất cả ({len(codes)} tỉnh, thành phố)"
                                                 if c is None else options[c]),
                          key="f_province")
    return choice, options.get(choice)


def _sync_url(values: dict) -> None:
    urlstate.sync_params(st.query_params, values)


def filters() -> dict:
    """The current shared filters (set by the frame before the page runs)."""
    return st.session_state.get(FILTER_KEY) or {"as_of": dt.date.today(), "communes": None,
                                                "phases": [], "chosen": []}


def filter_text(f: dict | None = None) -> str:
    """The filters in words, without the date (for the top lines of a downloaded sheet)."""
    f = f or filters()
    parts = []
    if f.get("province_name"):
        parts.append(f["province_name"])
    if f.get("phases"):
        parts.append("giai đoạn của xã: " + ", ".join(PHASE_LABELS[p] for p in f["phases"]))
    if f.get("chosen"):
        cs = communes(f["as_of"])
        names = dict(zip(cs.unit_code, cs.unit_name))
        shown = [names.get(c, c) for c in f["chosen"][:10]]
        more = len(f["chosen"]) - len(shown)
        parts.append("xã: " + ", ".join(shown) + (f" và {fmt.number(more)} xã khác" if more else ""))
    return "; ".join(parts)


def filter_caption(f: dict | None = None) -> str:
    f = f or filters()
    parts = [f"Số liệu tính đến {fmt.date(f['as_of'])}"]
    if f.get("province_name"):
        parts.append(f["province_name"])
    if f.get("phases"):
        parts.append("giai đoạn: " + ", ".join(PHASE_LABELS[p] for p in f["phases"]))
    if f.get("chosen"):
        parts.append(f"{len(f['chosen'])} xã được chọn")
    return " · ".join(parts)


def url_value(key: str, default, allowed=None):
    """A widget's initial value from the URL (see web/urlstate.url_value)."""
    return urlstate.url_value(st.query_params, key, default, allowed)


def keep_in_url(**defaults) -> None:
    """Widget values that differ from their defaults into the URL (web/urlstate)."""
    urlstate.keep_in_url(st.query_params, st.session_state, defaults)


def sync_params(**values) -> None:
    """Keep a page's own selections in the URL (None removes the parameter)."""
    urlstate.sync_params(st.query_params, values)


def seed_from_url(key: str, multi: bool = False, default=None, allowed=None, cast=str) -> None:
    """Widget state starts from the URL (so a link restores the view), else from default."""
    urlstate.seed_widget(st.session_state, st.query_params, key, multi, default, allowed, cast)


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
    text = province.demo_text(get_db())
    if text:
        st.warning(text)


def metric(label: str, value, help: str | None = None, digits: int = 0, pct: bool = False,
           topic: str | None = None):
    """A KPI card; its '?' links to the metric's topic in «Hướng dẫn» (by label, or topic=).
    A text value (e.g. '12 / 56') is shown as given."""
    from dashboard.output import guide

    text = value if isinstance(value, str) else (fmt.percent(value) if pct
                                                 else fmt.number(value, digits))
    if _page_exists("guide.py"):
        help = guide.help_link(topic or guide.topic_for(label), help)
    st.metric(label, text, help=help)


def style_figure(fig, height: int | None = None):
    """Vietnamese separators (1.234,5), readable fonts, no clutter; every text in it (titles,
    names, hover texts from user data) shown as text."""
    from dashboard.access import safe_text

    safe_text.plotly_figure(fig)
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


# what a chart shows, for its PNG's name, where the page passes no title and the chart has
# neither a title nor a named query
CHART_SUBJECTS = {"cov_hist_members": "Phân bố số thành viên mỗi tổ",
                  "cov_hist_hpm": "Phân bố số hộ mỗi thành viên",
                  "cov_top": "Xã độ phủ cao nhất", "cov_bottom": "Xã độ phủ thấp nhất",
                  "ev_sizes": "Quy mô các nhóm xã", "ev_event": "Chỉ số theo tháng từ khi bắt đầu",
                  "pc_villages_chart": "Độ phủ các thôn của xã"}


def _chart_subject(fig, key: str, query: str | None, title: str | None) -> str:
    text = getattr(getattr(fig.layout, "title", None), "text", None)
    return (title or text or CHART_SUBJECTS.get(key)
            or (queries.get(query).title if query else key.replace("_", " ")))


def chart(fig, key: str, query: str | None = None, params: dict | None = None,
          height: int | None = None, png: bool = True, title: str | None = None,
          styled: bool = False) -> None:
    """A chart in Vietnamese style, its PNG download (rendered offline by kaleido with the
    local Chromium, only when clicked) and 'Xem SQL'. styled: fig came from style_figure
    already (cached_chart), so it is neither styled nor escaped a second time."""
    styled = fig if styled else style_figure(fig, height)
    st.plotly_chart(styled, config=PLOT_CONFIG, key=key)
    if png and can("export"):
        from dashboard.output import pack

        who, db = principal(), base_db()

        def _png():
            from dashboard.access import audit as _audit

            _audit.record(db, who, "export", f"PNG {key}")
            return pack.figure_png(styled)

        st.download_button("Ảnh PNG", data=_png,
                           file_name=exports.file_name(_chart_subject(fig, key, query, title),
                                                       "png", filters()["as_of"]),
                           mime="image/png",
                           key=f"{key}_png", on_click="ignore", icon=":material/image:")
    if query:
        sql_expander(query, params or {}, key=key)
    _figure_footer(key)


def cached_chart(build, key: str, deps: dict, query: str | None = None,
                 params: dict | None = None, height: int | None = None, png: bool = True,
                 title: str | None = None) -> None:
    """ui.chart of build() (a Plotly figure from query results), built and styled once per
    (scope, data version, key, deps) for every session: a rerun sends the same figure
    without rebuilding it. deps: every value the figure depends on besides the data."""
    fig = derived(f"chart:{key}", {**deps, "_height": height},
                  lambda: style_figure(build(), height))
    chart(fig, key, query, params, height, png, title, styled=True)


def _figure_footer(key: str, title: str | None = None) -> None:
    """Approval state and 'Bình luận' under a figure (dashboard/web/discuss.py)."""
    from dashboard.web import discuss

    discuss.figure_footer(key, title)


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
        if _sql_page_exists() and can("sql"):
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


def download_meta(name: str | None = None, f: dict | None = None) -> list[tuple[str, str]]:
    """As-of date, filters and source: the top lines of every downloaded sheet."""
    f = f or filters()
    source = "Bảng điều khiển Dân vận"
    if province_name():
        source += " · " + province_name()
    try:
        q = queries.get(name) if name else None
    except KeyError:
        q = None
    if q is not None:
        source += f" · truy vấn có tên «{q.name}» ({q.title})"
    return exports.sheet_meta(f["as_of"], filter_text(f), source)


def downloads(df: pd.DataFrame, name: str, key: str, title: str | None = None) -> None:
    """CSV for Excel (';', decimal comma, BOM), XLSX with its as-of date, filters and source
    on the first rows, and the machine-readable CSV for analysts; built only when clicked;
    dated, meaningful file names; presenters and above only, each download audited."""
    if not can("export"):
        return
    f = filters()
    try:
        subject = title or queries.get(name).title
    except KeyError:
        subject = name
    who, db = principal(), base_db()

    def logged(fn, kind):
        def build():
            from dashboard.access import audit as _audit

            _audit.record(db, who, "export", f"{kind} {subject} ({len(df)} dòng)")
            return fn()
        return build

    c1, c2, c3, _ = st.columns([1, 1, 1.2, 2.8])
    c1.download_button("⬇ CSV", logged(lambda: exports.to_csv_bytes(df), "CSV"),
                       exports.file_name(subject, "csv", f["as_of"]), "text/csv",
                       key=f"{key}_csv", width="stretch", on_click="ignore",
                       help=exports.CSV_DIALECT_LABELS["excel-vi"])
    c2.download_button("⬇ Excel",
                       logged(lambda: exports.to_xlsx_bytes(df, title=subject,
                                                            meta=download_meta(name, f)), "XLSX"),
                       exports.file_name(subject, "xlsx", f["as_of"]), exports.XLSX_MIME,
                       key=f"{key}_xlsx", width="stretch", on_click="ignore")
    c3.download_button("⬇ CSV máy đọc", logged(lambda: exports.to_csv_bytes(df, "plain"), "CSV"),
                       exports.file_name(subject + " may doc", "csv", f["as_of"]), "text/csv",
                       key=f"{key}_csv_plain", width="stretch", on_click="ignore",
                       help=exports.CSV_DIALECT_LABELS["plain"] + ", ngày dạng ISO — như "
                            "dòng lệnh, cho phân tích bằng máy")

def table(df: pd.DataFrame, key: str, query: str | None = None, params: dict | None = None,
          title: str | None = None, column_config: dict | None = None,
          labels: dict | None = None, height: int | None = None,
          commune_link: str | None = None, max_rows: int | None = None) -> None:
    """A table with Vietnamese headers, CSV/XLSX downloads and 'Xem SQL'.
    At most max_rows (default DISPLAY_ROWS) rows are drawn; downloads hold every row.
    commune_link: the column holding commune codes; adds a link to each commune's profile."""
    df = with_enum_labels(with_parent_names(df))
    shown = df.rename(columns=labels or {})
    # pandas' Styler refuses more than 262,144 cells: keep rows × columns under that
    cap = min(max_rows or DISPLAY_ROWS, STYLED_CELLS // max(1, len(shown.columns) + 1))
    link = commune_link if (commune_link and commune_link in df.columns
                            and _page_exists("commune.py")) else None
    config = dict(column_config or {})
    if link:
        config[PROFILE_COLUMN] = st.column_config.LinkColumn(
            PROFILE_COLUMN, display_text="Mở hồ sơ", help="Mở trang Hồ sơ xã của xã này")
    if len(shown) > cap:
        st.caption(f"Bảng có {fmt.number(len(shown))} dòng; hiển thị {fmt.number(cap)} "
                   "dòng đầu. Tải CSV hoặc Excel để có đủ mọi dòng.")
    kw = {"height": height} if height else {}
    st.dataframe(_display(shown.head(cap), df[link].head(cap) if link else None),
                 hide_index=True, width="stretch", column_config=config, **kw)
    downloads(shown, query or key, key, title)
    if query:
        sql_expander(query, params or {}, key=key)
    _figure_footer(key, title)


def _display_parts(head: pd.DataFrame, links: pd.Series | None):
    """The drawn part of a table: the rows with their profile links, formatted by vi_style.
    A Styler (short tables) comes back as its frame and formats (a Styler is changed while
    Streamlit draws it, so none is shared); a long table as an Arrow table, ready to send."""
    linked = head
    if links is not None:
        linked = head.copy()
        linked.insert(min(2, len(linked.columns)), PROFILE_COLUMN,
                      [f"{PROFILE_URL}?commune={quote(c)}" if isinstance(c, str) and c else ""
                       for c in links])
    frame, formats = _vi_frame(linked)
    if not formats:
        from streamlit import dataframe_util

        return "arrow", dataframe_util.convert_pandas_df_to_arrow_table(frame)
    return "styler", (frame, formats)


def _fingerprint(df: pd.DataFrame) -> str | None:
    """What a frame holds (values, column names and types), for caching its display; None
    when a column cannot be hashed (lists, dicts)."""
    try:
        rows = pd.util.hash_pandas_object(df, index=False).to_numpy()
    except (TypeError, ValueError):
        return None
    h = hashlib.blake2b(rows.tobytes(), digest_size=20)
    h.update(repr([(str(c), str(t)) for c, t in df.dtypes.items()]).encode())
    return h.hexdigest()


@st.cache_resource(show_spinner=False, max_entries=config.get("query_cache_entries"))
def _display_shared(fingerprint: str, _head=None, _links=None):
    return _display_parts(_head, _links)


def _display(head: pd.DataFrame, links: pd.Series | None):
    """vi_style of the drawn rows, formatted once per content for every session (a rerun,
    another session, a tab shown again: the same table is not formatted again)."""
    key = _fingerprint(head)
    if key is not None and links is not None:
        more = _fingerprint(links.to_frame())
        key = None if more is None else key + more
    kind, part = (_display_parts(head, links) if key is None
                  else _display_shared(key, _head=head, _links=links))
    if kind == "arrow":
        return part
    frame, formats = part
    return frame.style.format(formats) if formats else frame


def with_parent_names(df: pd.DataFrame) -> pd.DataFrame:
    """A unit's parent name right beside its parent code (which 'Khu phố 4'? the commune's)."""
    if "parent_code" in df.columns and "parent_name" in df.columns:
        cols = [c for c in df.columns if c != "parent_name"]
        cols.insert(cols.index("parent_code") + 1, "parent_name")
        return df[cols]
    return df


ENUM_COLUMNS = {"level": contract.LEVELS, "unit_level": contract.LEVELS,
                "origin_level": contract.LEVELS, "recognized_level": contract.RECOGNIZED_LEVELS,
                "field": contract.FIELDS}


def with_enum_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Contract codes (village, pilot, economy…) shown by their Vietnamese labels."""
    out = df
    for col in df.columns:
        enum = ENUM_COLUMNS.get(col)
        if enum is None and col == "phase":
            out = out if out is not df else df.copy()
            out[col] = df[col].map(lambda v: PHASE_LABELS.get(v, v))
        elif enum is not None and not pd.api.types.is_numeric_dtype(df[col]):
            out = out if out is not df else df.copy()
            out[col] = df[col].map(lambda v, e=enum: contract.enum_label(e, v)
                                   if isinstance(v, str) else v)
    return out


def column_digits(s: pd.Series) -> int:
    """One number of decimals per column: 0 for whole numbers, else 1 (2 below 1)."""
    vals = pd.to_numeric(s, errors="coerce").dropna()
    if vals.empty or (vals % 1 == 0).all():
        return 0
    return 2 if vals.abs().max() < 1 else 1


def vi_style(df: pd.DataFrame):
    """Display numbers the Vietnamese way (1.234,5) and empty cells as '–'. Numeric columns
    without gaps stay numeric (sorting is exact); Streamlit draws missing cells as "None"
    whatever a Styler says, so columns with gaps are shown as formatted text, and so are the
    numbers of tables longer than STYLED_ROWS (a Styler costs tens of µs per cell; the text
    is formatted once per distinct value).
    Downloads use the original frame, never this display copy."""
    df, formats = _vi_frame(df)
    return df.style.format(formats) if formats else df


def _vi_frame(df: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """vi_style's display copy and the Styler formats of its numeric columns."""
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
                df[col] = [fmt.MISSING if v is None or (isinstance(v, float) and v != v) else v
                           for v in s]
                continue
        if pd.api.types.is_datetime64_any_dtype(s):
            codes, days = pd.factorize(s)        # each distinct day formatted once
            texts = [fmt.date(v) for v in days] + [fmt.MISSING]
            df[col] = [texts[i] for i in codes]  # code -1 (missing) -> the last text
            continue
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            continue
        digits = column_digits(s)
        if s.isna().any() or len(df) > STYLED_ROWS:
            df[col] = fmt.numbers(s.astype(object).where(s.notna(), None), digits, exact=True)
        else:
            df[col] = s
            formats[col] = (lambda v, d=digits: fmt.fixed(v, d))
    return df, formats


def number_column(label: str, digits: int = 0, pct: bool = False):
    """Column settings for a numeric column. The Vietnamese display (1.234,5) comes from
    vi_style; a column_config number format would use the browser's locale instead."""
    return st.column_config.Column(label + (" (%)" if pct and "%" not in label else ""))


COMMON_LABELS = {
    "unit_code": "Mã", "unit_name": "Tên", "parent_code": "Mã cấp trên",
    "parent_name": "Tên đơn vị cấp trên",
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


_ERROR_LOG: dict[str, logging.Logger] = {}


def error_log() -> logging.Logger:
    """The maintainer's error log: data/logs/errors.log, rotated at error_log_max_bytes with
    error_log_backups old files kept (so a broken link visited all day cannot fill the disk)."""
    from logging.handlers import RotatingFileHandler

    path = str(_log_path())
    log = _ERROR_LOG.get(path)
    if log is None:
        log = logging.getLogger(f"dashboard.errors.{len(_ERROR_LOG)}")
        log.propagate = False
        log.setLevel(logging.ERROR)
        handler = RotatingFileHandler(path, maxBytes=int(config.get("error_log_max_bytes")),
                                      backupCount=int(config.get("error_log_backups")),
                                      encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        _ERROR_LOG[path] = log
    return log


def report_error(exc: BaseException) -> None:
    """A short Vietnamese message for the user; the details go to the maintainer's log."""
    ref = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        error_log().error("--- %s\n%s", ref, "".join(traceback.format_exception(exc)))
    except OSError:
        pass
    LOG.error("page error %s: %s", ref, exc)
    st.error(f"Đã xảy ra lỗi khi hiển thị trang này. Vui lòng thử lại hoặc báo cho quản trị viên "
             f"(mã lỗi {ref}).", icon=":material/error:")
