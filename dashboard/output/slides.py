"""The slides of an evaluation meeting, built from the named queries and the current filters.

One list of `Slide`s feeds the presentation page (pages/present.py), the PowerPoint deck and
the PDF (dashboard/pack.py). Each slide carries one message: a title that states the finding,
a big number, a sentence with the figures in digits, a plotly figure, speaker notes (the same
sentence with its numbers in words to read aloud, key numbers and caveats) and the footer (filters, data date,
source batches). Pure: no Streamlit.

Every figure comes from a named query in queries/ (`Slide.queries` names them); only the
deck's context — province name, import batches — is read from the store's own tables.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import config
from dashboard.contract import FIELDS, PHASES, enum_label
from dashboard.i18n import fmt
from dashboard.i18n.numwords import capitalize, percent_words, words
from dashboard.store import queries

LOG = logging.getLogger("dashboard.slides")
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
INK = "#1f2937"
MUTED = "#6b7280"
ACCENT = "#1d4ed8"
# Coverage bands (lower bound, label, colour): red → blue, readable by colour-blind viewers.
BANDS = ((0, "Dưới 20%", "#b2182b"), (20, "20% – dưới 50%", "#ef8a62"),
         (50, "50% – dưới 80%", "#92c5de"), (80, "Từ 80% trở lên", "#2166ac"))
GOOD_COVERAGE = config.get("good_coverage_pct")
PHASE_COLORS = {"pilot": "#b45309", "rollout": "#1d4ed8", "none": "#9ca3af"}
FIG_WIDTH, FIG_HEIGHT = 1000, 390   # px at scale 1; the deck renders at scale 2
TOP_GAPS = config.get("top_gaps")
MAP_HEIGHT, MAP_WIDTH = 450, 820   # fits beside the big number on a 1280×720 slide


@dataclass
class Slide:
    key: str                       # title | kpis | coverage | gaps | phases | models | ...
    title: str                     # states the finding
    number: str = ""               # the big number, formatted (fmt)
    number_label: str = ""         # what the big number counts
    sentence: str = ""             # the finding, figures in digits (shown on the slide)
    spoken: str = ""               # the same finding, numbers in words (speaker notes only)
    figure: go.Figure | None = None
    notes: str = ""                # speaker notes: key numbers and caveats
    footer: str = ""
    kpis: list[tuple[str, str]] = field(default_factory=list)   # (label, value) tiles
    bullets: list[str] = field(default_factory=list)            # findings read out
    subtitle: list[str] = field(default_factory=list)           # title slide lines
    queries: list[str] = field(default_factory=list)            # named queries behind it


@dataclass
class Context:
    province: str
    as_of: dt.date
    communes: list[str] | None
    filter_text: str
    batches_text: str
    demo: bool
    footer: str
    today: dt.date


# -- helpers --------------------------------------------------------------------------------
def _as_date(value) -> dt.date:
    if value is None:
        return dt.date.today()
    return queries.coerce_param("as_of", value)


def _num(value) -> float:
    if value is None or (isinstance(value, float) and value != value) or pd.isna(value):
        return 0.0
    return float(value)


def _int(value) -> int:
    return int(round(_num(value)))


def _layout(fig: go.Figure, **kw) -> go.Figure:
    fig.update_layout(
        template="plotly_white", width=FIG_WIDTH, height=FIG_HEIGHT,
        font=dict(family=FONT, size=18, color=INK),
        margin=dict(l=20, r=30, t=30, b=20), separators=",.")
    fig.update_layout(**{"showlegend": False, **kw})
    return fig


def _province_name(db) -> str:
    names = queries.run(db, "filter_communes").province_name.dropna().unique()
    return ", ".join(sorted(map(str, names)))


def batches_text(db) -> str:
    """'lô nhập #1–#6, lần cuối 12/06/2025' from the committed import batches."""
    df = queries.run(db, "import_batches")
    df = df[df.status == "committed"].sort_values("batch_id")
    if df.empty:
        return "chưa có lô nhập"
    ids = df["batch_id"].astype(int).tolist()
    span = f"#{ids[0]}" if len(ids) == 1 else (
        f"#{ids[0]}–#{ids[-1]}" if ids == list(range(ids[0], ids[-1] + 1))
        else ", ".join(f"#{i}" for i in ids))
    last = fmt.date(pd.Timestamp(df["created_at"].max()).date())
    return f"lô nhập {span} ({len(ids)} lô, lần cuối {last})"


def filter_text(communes: list[str] | None, names: dict[str, str], total: int,
                phases: list[str] | None = None, chosen: list[str] | None = None) -> str:
    """The scope in words. phases/chosen: the sidebar's choices when the commune list was
    derived from them (the phase filter narrows the chosen communes)."""
    if phases:
        label = ", ".join(enum_label(PHASES, p) if p in PHASES else "Chưa có tổ"
                          for p in phases).lower()
        n = len([c for c in (communes or []) if c in names])
        scope = (f"{fmt.number(len(chosen))} xã, phường được chọn" if chosen
                 else "toàn tỉnh")
        return f"Các xã giai đoạn {label} trong {scope} ({fmt.number(n)} xã, phường)"
    if not communes:
        return f"Toàn tỉnh ({fmt.number(total)} xã, phường)"
    shown = [names.get(c, c) for c in communes[:3]]
    rest = len(communes) - len(shown)
    text = ", ".join(shown) + (f" và {fmt.number(rest)} đơn vị khác" if rest > 0 else "")
    return f"{fmt.number(len(communes))} xã, phường được chọn: {text}"


def context(db, filters: dict | None) -> Context:
    filters = filters or {}
    as_of = _as_date(filters.get("as_of"))
    communes = queries.coerce_param("communes", filters.get("communes"))
    all_units = queries.run(db, "coverage_by_unit", level="commune", as_of=as_of,
                            communes=None)
    names = dict(zip(all_units["unit_code"], all_units["unit_name"]))
    ftext = filter_text(communes, names, len(all_units), filters.get("phases"),
                        filters.get("chosen"))
    btext = batches_text(db)
    demo = db.is_demo()
    from dashboard.reporting.approvals import footer_text

    approved = footer_text(db, communes)          # 'Số liệu đã duyệt đến tháng 10/2026'
    footer = (f"{ftext} · Số liệu đến ngày {fmt.date(as_of)} · Nguồn: {btext}"
              + (f" · {approved}" if approved else "") + (" · DỮ LIỆU MINH HỌA" if demo else ""))
    return Context(province=_province_name(db), as_of=as_of, communes=communes,
                   filter_text=ftext, batches_text=btext, demo=demo, footer=footer,
                   today=dt.date.today())


def _caveats(ctx: Context) -> list[str]:
    out = ["Độ phủ = số hộ được tổ đang hoạt động phụ trách / tổng số hộ; số hộ phụ trách "
           "không tính vượt quá số hộ của thôn, xã.",
           f"Tổ đang hoạt động: đã thành lập và chưa giải thể tính đến {fmt.date(ctx.as_of)}."]
    if ctx.demo:
        out.insert(0, "Đây là dữ liệu minh họa, không phải số liệu thật.")
    return out


def _notes(numbers: list[str], caveats: list[str]) -> str:
    lines = ["Số liệu chính:"] + [f"• {n}" for n in numbers]
    if caveats:
        lines += ["", "Lưu ý:"] + [f"• {c}" for c in caveats]
    return "\n".join(lines)


# -- slides ---------------------------------------------------------------------------------
def title_slide(ctx: Context) -> Slide:
    place = ctx.province or "toàn tỉnh"
    return Slide(
        key="title",
        title="Đánh giá tổ dân vận cộng đồng và mô hình “Dân vận khéo”",
        subtitle=[place if ctx.province else "", ctx.filter_text,
                  f"Số liệu tính đến ngày {fmt.date(ctx.as_of)}",
                  f"Ngày trình bày: {fmt.date(ctx.today)}",
                  *(["Dữ liệu minh họa"] if ctx.demo else [])],
        sentence=f"Báo cáo tại hội nghị đánh giá — {place}.",
        notes=_notes([f"Phạm vi: {ctx.filter_text}",
                      f"Số liệu tính đến ngày {fmt.date(ctx.as_of)}",
                      f"Nguồn: {ctx.batches_text}"], _caveats(ctx)),
        footer=ctx.footer)


def kpi_slide(ctx: Context, kpi: pd.Series) -> Slide:
    pct = _num(kpi["coverage_pct"])
    hh, cov = _int(kpi["households"]), _int(kpi["households_covered"])
    cells, members = _int(kpi["cells"]), _int(kpi["members"])
    kpis = [
        ("Xã, phường có tổ", f"{fmt.number(kpi['communes_with_cells'])}/"
                             f"{fmt.number(kpi['communes'])}"),
        ("Thôn, tổ dân phố có tổ", f"{fmt.number(kpi['villages_with_cells'])}/"
                                   f"{fmt.number(kpi['villages'])}"),
        ("Tổ đang hoạt động", fmt.number(cells)),
        ("Thành viên", fmt.number(members)),
        (f"Hộ được phụ trách (trên {fmt.number(hh)} hộ)", fmt.number(cov)),
        ("Mô hình Dân vận khéo đang hoạt động", fmt.number(kpi["active_models"])),
    ]
    tail = (f"{fmt.number(cov)} trên {fmt.number(hh)} hộ, do {fmt.number(cells)} tổ với "
            f"{fmt.number(members)} thành viên đảm nhận.")
    sentence = f"{fmt.percent(pct)} số hộ gia đình đã có tổ dân vận phụ trách: {tail}"
    spoken = (f"{capitalize(percent_words(pct))} số hộ gia đình đã có tổ dân vận phụ trách: "
              f"{words(cov)} trên {words(hh)} hộ, do {words(cells)} tổ với {words(members)} "
              "thành viên đảm nhận.")
    return Slide(
        key="kpis", title=f"Tổ dân vận đã phụ trách {fmt.percent(pct)} số hộ gia đình",
        number=fmt.percent(pct), number_label="số hộ có tổ dân vận phụ trách",
        sentence=sentence, spoken=spoken, kpis=kpis,
        notes=_notes([f"{label}: {value}" for label, value in kpis]
                     + [f"Độ phủ: {fmt.percent(pct)} ({percent_words(pct)})"], _caveats(ctx)),
        footer=ctx.footer, queries=["kpi_overview"])


def _band(pct: float) -> int:
    idx = 0
    for i, (low, _, _) in enumerate(BANDS):
        if pct >= low:
            idx = i
    return idx


def coverage_figure(cov: pd.DataFrame) -> go.Figure:
    """Communes per coverage band (a map replaces it when a map module offers one)."""
    bands = cov["coverage_pct"].map(lambda p: _band(_num(p)))
    counts = [int((bands == i).sum()) for i in range(len(BANDS))]
    total = max(sum(counts), 1)
    fig = go.Figure(go.Bar(
        x=[b[1] for b in BANDS], y=counts, marker_color=[b[2] for b in BANDS],
        text=[f"{fmt.number(c)} xã ({fmt.percent(100 * c / total, 0)})" for c in counts],
        textposition="outside", textfont=dict(size=20), cliponaxis=False,
        hovertemplate="%{x}: %{y} xã<extra></extra>"))
    _layout(fig, yaxis=dict(title="Số xã, phường", rangemode="tozero", tickformat=",d",
                            range=[0, max(counts + [1]) * 1.2]),
            xaxis=dict(title="Độ phủ hộ gia đình"))
    return fig


def coverage_map(db, ctx: Context) -> go.Figure | None:
    """The coverage map of dashboard/maps.py when at least half the communes can be drawn
    (boundary or official centroid); None otherwise (the band chart is used instead)."""
    try:
        from dashboard.output import maps

        layer = maps.build_layer(db, "commune", ctx.as_of, ctx.communes, "coverage_pct")
        n = len(layer.frame)
        if not n or (layer.polygons + layer.points) * 2 < n:
            return None
        fig = maps.layer_figure(layer, height=MAP_HEIGHT, width=MAP_WIDTH)
    except Exception:  # a map problem must not stop the meeting pack
        LOG.warning("coverage map unavailable", exc_info=True)
        return None
    fig.update_layout(font=dict(family=FONT, size=18, color=INK),
                      legend=dict(font=dict(size=20), title=dict(font=dict(size=20))))
    return fig


def coverage_slide(ctx: Context, cov: pd.DataFrame, maps_figure=None) -> Slide:
    n = len(cov)
    good = int((cov["coverage_pct"].astype(float) >= GOOD_COVERAGE).sum())
    low = int((cov["coverage_pct"].astype(float) < BANDS[1][0]).sum())
    none = int((cov["cells"].astype(int) == 0).sum())
    median = float(cov["coverage_pct"].astype(float).median()) if n else 0.0
    fig = maps_figure if maps_figure is not None else coverage_figure(cov)
    is_map = maps_figure is not None
    if good:
        title = (f"{fmt.number(good)}/{fmt.number(n)} xã, phường đạt độ phủ từ "
                 f"{GOOD_COVERAGE}% trở lên" + (f"; {fmt.number(low)} xã dưới {BANDS[1][0]}%"
                                                if low else ""))
        number, number_label = (f"{fmt.number(good)}/{fmt.number(n)}",
                                f"xã, phường đạt độ phủ từ {GOOD_COVERAGE}%")
        sentence = (f"{fmt.number(good)} trên {fmt.number(n)} xã, phường có từ "
                    f"{GOOD_COVERAGE}% số hộ trở lên được tổ dân vận phụ trách"
                    + (f"; {fmt.number(low)} xã còn dưới {BANDS[1][0]}%." if low else "."))
        spoken = (f"{capitalize(words(good))} trên {words(n)} xã, phường có từ "
                  f"{words(GOOD_COVERAGE)} phần trăm số hộ trở lên được tổ dân vận phụ trách"
                  + (f"; {words(low)} xã còn dưới {words(BANDS[1][0])} phần trăm."
                     if low else "."))
    else:
        title = (f"Chưa xã, phường nào đạt độ phủ {GOOD_COVERAGE}%; {fmt.number(low)}/"
                 f"{fmt.number(n)} xã dưới {BANDS[1][0]}%")
        number, number_label = (f"{fmt.number(low)}/{fmt.number(n)}",
                                f"xã, phường có độ phủ dưới {BANDS[1][0]}%")
        sentence = (f"Chưa xã, phường nào có từ {GOOD_COVERAGE}% số hộ được tổ dân vận phụ "
                    f"trách; {fmt.number(low)} trên {fmt.number(n)} xã còn dưới "
                    f"{BANDS[1][0]}%, trong đó {fmt.number(none)} xã chưa có tổ nào.")
        spoken = (f"Chưa xã, phường nào có từ {words(GOOD_COVERAGE)} phần trăm số hộ được "
                  f"tổ dân vận phụ trách; {words(low)} trên {words(n)} xã còn dưới "
                  f"{words(BANDS[1][0])} phần trăm, trong đó {words(none)} xã chưa có tổ nào.")
    best = cov.sort_values("coverage_pct", ascending=False).head(3)
    worst = cov.sort_values(["coverage_pct", "uncovered_households"],
                            ascending=[True, False]).head(3)
    numbers = [f"Xã, phường đạt từ {GOOD_COVERAGE}%: {fmt.number(good)}/{fmt.number(n)}",
               f"Dưới {BANDS[1][0]}%: {fmt.number(low)} (chưa có tổ nào: {fmt.number(none)})",
               f"Độ phủ trung vị của các xã: {fmt.percent(median)}",
               "Cao nhất: " + "; ".join(f"{r.unit_name} {fmt.percent(r.coverage_pct)}"
                                        for r in best.itertuples()),
               "Thấp nhất: " + "; ".join(f"{r.unit_name} {fmt.percent(r.coverage_pct)}"
                                         for r in worst.itertuples())]
    caveats = _caveats(ctx)
    if is_map:
        caveats.append("Bản đồ chia màu theo nhóm phân vị của độ phủ (xem chú giải); xã không "
                       "có ranh giới được vẽ tại tâm xã chính thức.")
    return Slide(
        key="coverage", title=title, number=number, number_label=number_label,
        sentence=sentence, spoken=spoken,
        figure=fig, notes=_notes(numbers, caveats), footer=ctx.footer,
        queries=["coverage_by_unit"] + (["map_units", "map_boundaries"] if is_map else []))


def gaps_figure(top: pd.DataFrame) -> go.Figure:
    top = top.iloc[::-1]  # largest at the top of a horizontal bar chart
    fig = go.Figure(go.Bar(
        y=top["unit_name"], x=top["uncovered_households"], orientation="h",
        marker_color=[BANDS[_band(_num(p))][2] for p in top["coverage_pct"]],
        text=[f"{fmt.number(u)} hộ · độ phủ {fmt.percent(p)}"
              for u, p in zip(top["uncovered_households"], top["coverage_pct"])],
        textposition="outside", cliponaxis=False, textfont=dict(size=17),
        hovertemplate="%{y}: %{x} hộ chưa có tổ phụ trách<extra></extra>"))
    xmax = float(top["uncovered_households"].max() or 1)
    _layout(fig, xaxis=dict(title="Số hộ chưa có tổ phụ trách", range=[0, xmax * 1.45],
                            tickformat=",d"),
            yaxis=dict(automargin=True, tickfont=dict(size=18)),
            bargap=0.25)
    return fig


def gaps_slide(ctx: Context, kpi: pd.Series, cov: pd.DataFrame) -> Slide:
    uncovered = _int(kpi["households"]) - _int(kpi["households_covered"])
    gaps = cov[cov["uncovered_households"].astype(float) > 0]
    top = gaps.sort_values(["uncovered_households", "unit_code"],
                           ascending=[False, True]).head(TOP_GAPS)
    share = 100.0 * float(top["uncovered_households"].sum()) / uncovered if uncovered else 0.0
    villages_without = _int(kpi["villages"]) - _int(kpi["villages_with_cells"])
    k = len(top)
    if uncovered == 0:
        title = "Mọi hộ gia đình đã có tổ dân vận phụ trách"
        sentence = spoken = "Không còn hộ nào chưa có tổ dân vận phụ trách."
    elif len(gaps) > k:
        title = (f"Còn {fmt.number(uncovered)} hộ chưa có tổ phụ trách; {fmt.number(k)} xã "
                 f"thiếu nhiều nhất chiếm {fmt.percent(share)}")
        sentence = (f"{fmt.number(uncovered)} hộ chưa có tổ dân vận phụ trách; "
                    f"{fmt.number(k)} xã thiếu nhiều nhất chiếm {fmt.percent(share)} số hộ đó.")
        spoken = (f"{capitalize(words(uncovered))} hộ chưa có tổ dân vận phụ trách; "
                  f"{words(k)} xã thiếu nhiều nhất chiếm {percent_words(share)} số hộ đó.")
    else:
        first = top.iloc[0]
        title = (f"Còn {fmt.number(uncovered)} hộ chưa có tổ phụ trách, ở {fmt.number(k)} xã; "
                 f"nhiều nhất {first['unit_name']} ({fmt.number(first['uncovered_households'])}"
                 f" hộ)")
        sentence = (f"{fmt.number(uncovered)} hộ chưa có tổ dân vận phụ trách, thuộc "
                    f"{fmt.number(k)} xã, phường; nhiều nhất là {first['unit_name']} với "
                    f"{fmt.number(first['uncovered_households'])} hộ.")
        spoken = (f"{capitalize(words(uncovered))} hộ chưa có tổ dân vận phụ trách, thuộc "
                  f"{words(k)} xã, phường; nhiều nhất là {first['unit_name']} với "
                  f"{words(_int(first['uncovered_households']))} hộ.")
    numbers = [f"Hộ chưa có tổ phụ trách: {fmt.number(uncovered)}",
               f"Thôn, tổ dân phố chưa có tổ: {fmt.number(villages_without)}/"
               f"{fmt.number(kpi['villages'])}",
               f"{fmt.number(k)} xã thiếu nhiều nhất chiếm {fmt.percent(share)}"]
    numbers += [f"{r.unit_name}: {fmt.number(r.uncovered_households)} hộ "
                f"(độ phủ {fmt.percent(r.coverage_pct)})" for r in top.itertuples()]
    return Slide(
        key="gaps", title=title, number=fmt.number(uncovered),
        number_label="hộ chưa có tổ dân vận phụ trách", sentence=sentence, spoken=spoken,
        figure=gaps_figure(top) if k else None,
        notes=_notes(numbers, _caveats(ctx)), footer=ctx.footer,
        queries=["kpi_overview", "coverage_by_unit"])


def phases_figure(pvr: pd.DataFrame) -> go.Figure:
    rows = pvr[pvr["phase"].isin(["pilot", "rollout"])]
    labels = [enum_label(PHASES, p) for p in rows["phase"]]
    colors = [PHASE_COLORS[p] for p in rows["phase"]]
    panels = (("coverage_pct", "Độ phủ hộ gia đình", lambda v: fmt.percent(v)),
              ("members_per_cell", "Thành viên mỗi tổ", lambda v: fmt.fixed(v, 1)),
              ("households_per_member", "Hộ mỗi thành viên", lambda v: fmt.fixed(v, 1)))
    fig = make_subplots(rows=1, cols=3, subplot_titles=[p[1] for p in panels],
                        horizontal_spacing=0.08)
    for i, (col, _, f) in enumerate(panels, start=1):
        vals = [_num(v) for v in rows[col]]
        fig.add_trace(go.Bar(x=labels, y=vals, marker_color=colors,
                             text=[f(v) for v in vals], textposition="outside",
                             cliponaxis=False, textfont=dict(size=20),
                             hovertemplate="%{x}: %{y}<extra></extra>"), row=1, col=i)
        fig.update_yaxes(range=[0, max(vals + [1]) * 1.25], showticklabels=False,
                         row=1, col=i)
    _layout(fig)
    fig.update_annotations(font=dict(size=20, color=INK))
    fig.update_layout(margin=dict(t=60))
    return fig


def _has_phases(pvr: pd.DataFrame) -> bool:
    return bool(pvr["phase"].isin(["pilot", "rollout"]).any())


def phases_slide(ctx: Context, pvr: pd.DataFrame) -> Slide | None:
    if not _has_phases(pvr):
        return None
    by = {r["phase"]: r for _, r in pvr.iterrows()}
    pilot, rollout = by.get("pilot"), by.get("rollout")
    numbers = []
    for code in ("pilot", "rollout", "none"):
        r = by.get(code)
        if r is None:
            continue
        label = enum_label(PHASES, code) if code != "none" else "Chưa có tổ"
        text = (f"{label}: {fmt.number(r['communes'])} xã, {fmt.number(r['cells'])} tổ, "
                f"{fmt.number(r['members'])} thành viên, độ phủ {fmt.percent(r['coverage_pct'])}")
        if _int(r["cells"]):
            text += (f", {fmt.fixed(r['members_per_cell'], 1)} thành viên/tổ, "
                     f"{fmt.fixed(r['households_per_member'], 1)} hộ/thành viên")
        numbers.append(text)
    caveats = _caveats(ctx) + [
        "Giai đoạn của xã: thí điểm nếu xã từng có tổ thí điểm; mọi tổ của xã thí điểm "
        "(kể cả tổ thành lập khi nhân rộng) được tính vào nhóm thí điểm.",
        "So sánh mô tả, không phải đánh giá tác động: xã được chọn thí điểm có thể khác xã "
        "nhân rộng từ trước."]
    if pilot is not None and rollout is not None:
        p, r = _num(pilot["coverage_pct"]), _num(rollout["coverage_pct"])
        gap = round(p, 1) - round(r, 1)
        verb = "cao hơn" if gap > 0 else ("thấp hơn" if gap < 0 else "bằng")
        title = (f"Xã thí điểm đạt độ phủ {fmt.percent(p)}, {verb} xã nhân rộng "
                 f"({fmt.percent(r)})")
        number = fmt.percent(p)
        number_label = "độ phủ ở các xã thí điểm"
        sentence = (f"Các xã thí điểm đạt {fmt.percent(p)}, các xã nhân rộng đạt "
                    f"{fmt.percent(r)}"
                    + (f", chênh lệch {fmt.fixed(abs(gap), 1)} điểm phần trăm." if gap else "."))
        spoken = (f"Các xã thí điểm đạt {percent_words(p)}, các xã nhân rộng đạt "
                  f"{percent_words(r)}"
                  + (f", chênh lệch {words(abs(gap), 1)} điểm phần trăm." if gap else "."))
    else:
        code, row = ("pilot", pilot) if pilot is not None else ("rollout", rollout)
        label = enum_label(PHASES, code).lower()
        v = _num(row["coverage_pct"])
        title = f"Các xã {label} đạt độ phủ {fmt.percent(v)}"
        number, number_label = fmt.percent(v), f"độ phủ ở các xã {label}"
        sentence = f"{fmt.number(row['communes'])} xã {label} đạt độ phủ {fmt.percent(v)}."
        spoken = (f"{capitalize(words(_int(row['communes'])))} xã {label} đạt độ phủ "
                  f"{percent_words(v)}.")
    return Slide(
        key="phases", title=title, number=number, number_label=number_label,
        sentence=sentence, spoken=spoken, figure=phases_figure(pvr),
        notes=_notes(numbers, caveats),
        footer=ctx.footer, queries=["pilot_vs_rollout"])


def evaluation_slide(db, ctx: Context, findings=None) -> Slide | None:
    """Key findings of dashboard/evaluation.py (cohorts, coverage after N months, survival,
    outcome effect) as bullets; None when the module or the data cannot give them.
    findings(as_of, communes): evaluation.key_findings of these data from elsewhere (the web
    pages' shared caches); by default computed here."""
    try:
        from dashboard.analysis import evaluation

        found = (findings(ctx.as_of, ctx.communes) if findings is not None
                 else evaluation.key_findings(db, ctx.as_of, ctx.communes))
    except Exception:
        LOG.warning("evaluation findings unavailable", exc_info=True)
        return None
    bullets = [str(x) for x in found.get("sentences") or []]
    if not bullets:
        return None
    h = int(found.get("horizon") or 0)
    cov = found.get("coverage_at_horizon") or {}
    pilot, rollout = cov.get("pilot"), cov.get("rollout")
    if pilot and rollout:
        p, r = _num(pilot["coverage_pct"]), _num(rollout["coverage_pct"])
        title = (f"Sau {h} tháng: xã thí điểm đạt độ phủ {fmt.percent(p)}, xã nhân rộng "
                 f"{fmt.percent(r)}")
        number, label = fmt.percent(r), f"độ phủ xã nhân rộng sau {h} tháng"
        sentence = (f"Sau {h} tháng kể từ khi bắt đầu, các xã nhân rộng đạt "
                    f"{fmt.percent(r)}, các xã thí điểm đạt {fmt.percent(p)}.")
        spoken = (f"Sau {words(h)} tháng kể từ khi bắt đầu, các xã nhân rộng đạt "
                  f"{percent_words(r)}, các xã thí điểm đạt {percent_words(p)}.")
    elif pilot or rollout:
        who, c = ("thí điểm", pilot) if pilot else ("nhân rộng", rollout)
        v = _num(c["coverage_pct"])
        title = f"Sau {h} tháng: xã {who} đạt độ phủ {fmt.percent(v)}"
        number, label = fmt.percent(v), f"độ phủ xã {who} sau {h} tháng"
        sentence = f"Sau {h} tháng kể từ khi bắt đầu, các xã {who} đạt {fmt.percent(v)}."
        spoken = (f"Sau {words(h)} tháng kể từ khi bắt đầu, các xã {who} đạt "
                  f"{percent_words(v)}.")
    else:
        title = "Đánh giá thí điểm và nhân rộng: chưa đủ số tháng để so sánh"
        number, label, sentence, spoken = "", "", "", ""
    caveats = [c for c in _caveats(ctx) if "minh họa" in c] + [
        "Mỗi ước lượng có hai nhãn riêng: chất lượng thiết kế và mức bằng chứng về tác động; "
        "dưới 5 xã không tính khoảng tin cậy, chỉ mô tả trước/sau.",
        "Tác động: thay đổi trung bình mỗi tháng trong 12 tháng đầu so với các xã chưa bắt "
        "đầu (Callaway–Sant'Anna) — xem trang Thí điểm và nhân rộng."]
    return Slide(key="evaluation", title=title, number=number, number_label=label,
                 sentence=sentence, spoken=spoken, bullets=bullets,
                 notes=_notes(bullets, caveats),
                 footer=ctx.footer,
                 queries=["eval_commune_starts", "eval_coverage_history",
                          "eval_cell_survival", "eval_indicator_panel"])


def models_figure(mbf: pd.DataFrame) -> go.Figure:
    mbf = mbf.iloc[::-1]
    labels = [enum_label(FIELDS, f) for f in mbf["field"]]
    active = [_int(v) for v in mbf["active_models"]]
    started = mbf["models_started"] if "models_started" in mbf else mbf["models"]
    ended = [_int(m) - a for m, a in zip(started, active)]   # started by as_of, then ended
    fig = go.Figure([
        go.Bar(y=labels, x=active, orientation="h", name="Đang hoạt động",
               marker_color=ACCENT, text=[fmt.number(v) for v in active],
               textposition="inside", insidetextanchor="middle", textfont=dict(size=20),
               hovertemplate="%{y}: %{x} mô hình đang hoạt động<extra></extra>"),
        go.Bar(y=labels, x=ended, orientation="h", name="Đã kết thúc",
               marker_color="#cbd5e1", text=[fmt.number(v) if v else "" for v in ended],
               textposition="inside", insidetextanchor="middle", textfont=dict(size=18),
               hovertemplate="%{y}: %{x} mô hình đã kết thúc<extra></extra>")])
    _layout(fig, barmode="stack", showlegend=True,
            legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, traceorder="normal"),
            xaxis=dict(title="Số mô hình", tickformat=",d"), yaxis=dict(automargin=True))
    fig.update_layout(margin=dict(t=50))
    return fig


def models_slide(ctx: Context, mbf: pd.DataFrame) -> Slide:
    # models as of the date: those started by then (a model started later did not exist yet)
    total = int((mbf["models_started"] if "models_started" in mbf else mbf["models"]).sum())
    active = int(mbf["active_models"].sum())
    if total == 0:
        return Slide(key="models", title="Chưa có mô hình “Dân vận khéo” trong phạm vi này",
                     number="0", number_label="mô hình", sentence="Chưa có mô hình nào.",
                     notes=_notes([], _caveats(ctx)), footer=ctx.footer,
                     queries=["models_by_field"])
    top = mbf.sort_values(["active_models", "models"], ascending=False).iloc[0]
    top_label = enum_label(FIELDS, top["field"])
    title = (f"{fmt.number(active)} mô hình “Dân vận khéo” đang hoạt động, nhiều nhất lĩnh "
             f"vực {top_label} ({fmt.number(top['active_models'])})")
    sentence = (f"{fmt.number(active)} trên {fmt.number(total)} mô hình đang hoạt động; lĩnh "
                f"vực {top_label} có nhiều nhất với {fmt.number(top['active_models'])} mô hình.")
    spoken = (f"{capitalize(words(active))} trên {words(total)} mô hình đang hoạt động; "
              f"lĩnh vực {top_label} có nhiều nhất với {words(_int(top['active_models']))} "
              f"mô hình.")
    numbers = [f"Mô hình đang hoạt động: {fmt.number(active)}/{fmt.number(total)} mô hình đã "
               f"bắt đầu đến ngày {fmt.date(ctx.as_of)}"] + [
        f"{enum_label(FIELDS, r.field)}: {fmt.number(r.active_models)} đang hoạt động / "
        f"{fmt.number(getattr(r, 'models_started', r.models))} mô hình đã bắt đầu"
        for r in mbf.itertuples()]
    caveats = [c for c in _caveats(ctx) if "minh họa" in c] + [
        f"Đang hoạt động: đã bắt đầu và chưa kết thúc tính đến {fmt.date(ctx.as_of)}.",
        "Khi chọn xã: gồm mô hình của xã và của thôn thuộc xã; khi xem toàn tỉnh: gồm cả mô "
        "hình cấp tỉnh."]
    return Slide(
        key="models", title=title, number=fmt.number(active),
        number_label="mô hình Dân vận khéo đang hoạt động", sentence=sentence, spoken=spoken,
        figure=models_figure(mbf), notes=_notes(numbers, caveats), footer=ctx.footer,
        queries=["models_by_field"])


@dataclass
class Outline:
    """What the deck holds before any slide is drawn: the context, the headline figures and
    the slide keys in order. "evaluation" is listed whenever the scope has communes; its
    slide may still turn out unavailable (build_slide gives None) and is then left out."""
    ctx: Context
    kpi: pd.Series
    keys: list[str]


def outline(db, filters: dict | None = None) -> Outline:
    """The deck's plan from the cheap queries only (no map, no evaluation)."""
    ctx = context(db, filters)
    kpi = queries.run(db, "kpi_overview", as_of=ctx.as_of, communes=ctx.communes).iloc[0]
    if _int(kpi["communes"]) == 0:
        return Outline(ctx, kpi, ["title", "empty"])
    pvr = queries.run(db, "pilot_vs_rollout", as_of=ctx.as_of, communes=ctx.communes)
    keys = ["title", "kpis", "coverage", "gaps"] + (["phases"] if _has_phases(pvr) else [])
    return Outline(ctx, kpi, keys + ["evaluation", "models"])


def build_slide(db, plan: Outline, key: str, findings=None) -> Slide | None:
    """One slide of the deck (a key of plan.keys), running only the queries it needs.
    findings: see evaluation_slide."""
    ctx, kpi = plan.ctx, plan.kpi
    params = {"as_of": ctx.as_of, "communes": ctx.communes}
    if key == "title":
        return title_slide(ctx)
    if key == "empty":
        return Slide(
            key="empty", title="Chưa có số liệu xã, phường cho phạm vi này",
            sentence="Hãy nhập danh sách đơn vị và tổ dân vận, hoặc chọn phạm vi khác.",
            notes=_notes([], _caveats(ctx)), footer=ctx.footer, queries=["kpi_overview"])
    if key == "kpis":
        s = kpi_slide(ctx, kpi)
    elif key in ("coverage", "gaps"):
        cov = queries.run(db, "coverage_by_unit", level="commune", **params)
        s = (coverage_slide(ctx, cov, coverage_map(db, ctx)) if key == "coverage"
             else gaps_slide(ctx, kpi, cov))
    elif key == "phases":
        s = phases_slide(ctx, queries.run(db, "pilot_vs_rollout", **params))
    elif key == "evaluation":
        s = evaluation_slide(db, ctx, findings)
    elif key == "models":
        s = models_slide(ctx, queries.run(db, "models_by_field", **params))
    else:
        raise KeyError(key)
    return None if s is None else _spoken_in_notes(s)


def build(db, filters: dict | None = None) -> list[Slide]:
    """The meeting's slides for the current filters (as_of, communes): every slide of the
    outline, in order (the meeting pack; the presentation page draws one at a time)."""
    plan = outline(db, filters)
    return [s for s in (build_slide(db, plan, k) for k in plan.keys) if s is not None]


def _spoken_in_notes(s: Slide) -> Slide:
    """Numbers in words belong to the speaker: the notes open with the sentence to read."""
    if s.spoken and not s.notes.startswith("Đọc to:"):
        s.notes = f"Đọc to: {s.spoken}\n\n{s.notes}"
    return s
