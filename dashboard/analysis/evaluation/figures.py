"""Plotly figures of the evaluation page (no Streamlit): built from the tables of this
package so the page stays layout only."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .colors import EVIDENCE_COLORS
from .labels import EVIDENCE_LABELS


def _go():
    import plotly.graph_objects as go

    return go


def _groups(values) -> list[tuple[object, np.ndarray]]:
    """(value, row positions) of each distinct value in order of first appearance (the
    traces plotly express draws for a colour column)."""
    codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=False)
    return [(u, np.flatnonzero(codes == i)) for i, u in enumerate(uniques)]


def _color_map(values, colors: dict) -> dict:
    """colors, and for a value it lacks the default template's colour way at the map's size
    (as px's color_discrete_map; the page's maps hold every label)."""
    out = dict(colors)
    missing = [v for v in values if v not in out]
    if missing:
        import plotly.io as pio
        from plotly.colors import qualitative

        name = pio.templates.default
        seq = (pio.templates[name].layout.colorway if name else None) or qualitative.D3
        for v in missing:
            out[v] = seq[len(out) % len(seq)]
    return out


def _px_layout(fig, x_title: str, y_title: str, **extra) -> None:
    """The layout plotly express gives a figure with one colour group per trace."""
    fig.update_layout(xaxis=dict(title=dict(text=x_title), anchor="y", domain=[0.0, 1.0]),
                      yaxis=dict(title=dict(text=y_title), anchor="x", domain=[0.0, 1.0]),
                      legend=dict(title=dict(text=""), tracegroupgap=0),
                      margin=dict(t=60), **extra)


def sizes_bar(table: pd.DataFrame, colors: dict):
    """Communes per cohort, one horizontal bar per cohort (as px.bar coloured by cohort)."""
    go = _go()
    fig = go.Figure()
    labels = table["cohort_label"].to_numpy(object)
    counts = table["communes"].to_numpy()
    groups = _groups(labels)
    cmap = _color_map([g[0] for g in groups], colors)
    for label, rows in groups:
        fig.add_trace(go.Bar(
            hovertemplate="=%{y}<br>Số xã=%{text}<extra></extra>", legendgroup=label,
            marker=dict(color=cmap[label], pattern=dict(shape="")), name=label,
            orientation="h", showlegend=True, text=counts[rows].astype(float),
            textposition="auto", x=counts[rows], xaxis="x", y=labels[rows], yaxis="y"))
    _px_layout(fig, "Số xã", "", barmode="relative")
    fig.update_traces(texttemplate="%{x:,d}")      # whole communes: 62, never 62.0
    fig.update_layout(showlegend=False, title="Số xã trong mỗi nhóm",
                      yaxis=dict(categoryorder="array",
                                 categoryarray=list(table["cohort_label"])[::-1]))
    return fig


def starts_strip(started: pd.DataFrame, labels: dict, colors: dict):
    """Start date of every commune, one row of points per cohort (as px.strip)."""
    go = _go()
    fig = go.Figure()
    cohort = started["cohort_label"].to_numpy(object)
    names = started["commune_name"].to_numpy(object)
    dates = started["started_on"].to_numpy()
    groups = _groups(cohort)
    cmap = _color_map([g[0] for g in groups], colors)
    for label, rows in groups:
        fig.add_trace(go.Box(
            alignmentgroup="True", boxpoints="all", fillcolor="rgba(255,255,255,0)",
            hoveron="points",
            hovertemplate="<b>%{hovertext}</b><br><br>=%{y}<br>Ngày thành lập tổ đầu "
                          "tiên=%{x}<extra></extra>",
            hovertext=names[rows], legendgroup=label, line=dict(color="rgba(255,255,255,0)"),
            marker=dict(color=cmap[label]), name=label, offsetgroup=label, orientation="v",
            pointpos=0, showlegend=True, x=dates[rows], x0=" ", xaxis="x", y=cohort[rows],
            y0=" ", yaxis="y"))
    _px_layout(fig, "Ngày thành lập tổ đầu tiên", "", boxmode="group")
    fig.update_layout(showlegend=False, title="Ngày bắt đầu của từng xã",
                      yaxis=dict(categoryorder="array",
                                 categoryarray=list(labels.values())[::-1]))
    fig.update_xaxes(tickformat="%m/%Y")
    return fig


def _rgba(color: str, alpha: float) -> str:
    rgb = tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba{rgb + (alpha,)}"


def ramp_chart(ramp: pd.DataFrame, colors: dict):
    go = _go()
    fig = go.Figure()
    for label, g in ramp.groupby("cohort_label", sort=False):
        color = colors.get(label, "#555555")
        x = list(g["months_since"])
        fig.add_trace(go.Scatter(x=x + x[::-1], y=list(g["p75"]) + list(g["p25"])[::-1],
                                 fill="toself", line=dict(width=0),
                                 fillcolor=_rgba(color, 0.15), hoverinfo="skip",
                                 showlegend=False, legendgroup=label))
        fig.add_trace(go.Scatter(
            x=g["months_since"], y=g["median"], mode="lines+markers", name=label,
            line=dict(color=color, width=3), marker=dict(size=5), legendgroup=label,
            customdata=g[["communes", "p25", "p75"]],
            hovertemplate=(f"<b>{label}</b><br>Tháng thứ %{{x}} kể từ khi bắt đầu<br>"
                           "Độ phủ trung vị: %{y:.1f}%<br>Một nửa số xã trong khoảng "
                           "%{customdata[1]:.1f}%–%{customdata[2]:.1f}%<br>Số xã: "
                           "%{customdata[0]}<extra></extra>")))
    fig.update_layout(xaxis_title="Số tháng kể từ khi xã bắt đầu (tháng 0 = tháng thành lập tổ "
                                  "đầu tiên)", yaxis_title="Độ phủ hộ gia đình (%)",
                      yaxis=dict(range=[0, 100]), legend=dict(orientation="h", y=-0.22),
                      title="Đường: độ phủ trung vị của các xã trong nhóm; vùng mờ: một nửa "
                            "số xã ở giữa")
    return fig


def survival_chart(curves: pd.DataFrame, colors: dict):
    """Kaplan–Meier step curves with the cells still followed at each month."""
    go = _go()
    fig = go.Figure()
    for label, g in curves.groupby("cohort_label", sort=False):
        g = g[g["share_pct"].notna()]
        fig.add_trace(go.Scatter(
            x=g["month"], y=g["share_pct"], mode="lines", line_shape="hv", name=label,
            line=dict(color=colors.get(label, "#555555"), width=3),
            customdata=g[["at_risk"]],
            hovertemplate=(f"<b>{label}</b><br>Tháng %{{x}} sau khi thành lập: %{{y:.1f}}% "
                           "còn hoạt động<br>Số tổ còn theo dõi: %{customdata[0]}"
                           "<extra></extra>")))
    fig.update_layout(title="Tỷ lệ tổ còn hoạt động theo thời gian từ khi thành lập "
                            "(Kaplan–Meier)", xaxis_title="Số tháng kể từ khi thành lập tổ",
                      yaxis_title="Còn hoạt động (%)", yaxis=dict(range=[0, 102]),
                      legend=dict(orientation="h", y=-0.2))
    return fig


def forest(ests: list, window: int):
    """Every estimate with its interval, coloured by the evidence label; descriptive ones as
    hollow points without a bar."""
    go = _go()
    fig = go.Figure()
    order = [e.cohort_label for e in ests]
    for grade, label in EVIDENCE_LABELS.items():
        g = [e for e in ests if e.evidence["grade"] == grade]
        if not g:
            continue
        has = [e.has_interval for e in g]
        fig.add_trace(go.Scatter(
            x=[e.estimate for e in g], y=[e.cohort_label for e in g], mode="markers",
            name=label, marker=dict(size=11, color=EVIDENCE_COLORS[grade],
                                    symbol=["circle" if h else "circle-open" for h in has]),
            error_x=dict(type="data", symmetric=False,
                         array=[e.ci_high - e.estimate if h else 0 for e, h in zip(g, has)],
                         arrayminus=[e.estimate - e.ci_low if h else 0 for e, h in zip(g, has)]),
            customdata=[[e.n_treated, e.design["label"]] for e in g],
            hovertemplate="%{y}: %{x:.2f}<br>%{customdata[0]} xã · %{customdata[1]}<extra>"
                          + label + "</extra>"))
    fig.add_vline(x=0, line_dash="dot", line_color="#555")
    fig.update_layout(title=f"Theo nhóm xã: {window} tháng đầu (KTC 95%; điểm rỗng: mô tả)",
                      xaxis_title="So với các xã chưa bắt đầu",
                      yaxis=dict(categoryorder="array", categoryarray=order[::-1]),
                      legend=dict(orientation="h", y=-0.25))
    return fig


def event_chart(es: pd.DataFrame):
    go = _go()
    fig = go.Figure()
    styles = (("lead", "Trước khi bắt đầu", "#7f7f7f"),
              ("anticipation", "Tháng dự kiến (bỏ ra)", "#c9a227"),
              ("base", "Tháng mốc (= 0)", "#333333"), ("post", "Sau khi bắt đầu", "#B3261E"))
    for kind, name, color in styles:
        g = es[es["kind"] == kind]
        if g.empty:
            continue
        lo = (g["estimate"] - g["ci_low"]).fillna(0)
        hi = (g["ci_high"] - g["estimate"]).fillna(0)
        fig.add_trace(go.Scatter(
            x=g["label"], y=g["estimate"], mode="markers", name=name,
            marker=dict(size=8, color=color), customdata=g[["communes"]],
            error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo, color=color),
            hovertemplate="Tháng %{x}: %{y:.2f}<br>Số xã: %{customdata[0]}<extra></extra>"))
    fig.add_hline(y=0, line_dash="dot", line_color="#555")
    fig.update_layout(title="Chênh lệch theo tháng so với tháng bắt đầu",
                      xaxis=dict(type="category", categoryorder="array",
                                 categoryarray=list(es["label"])),
                      xaxis_title="Tháng so với tháng bắt đầu (hai đầu là nhóm gộp)",
                      yaxis_title="So với xã chưa bắt đầu",
                      legend=dict(orientation="h", y=-0.3))
    return fig


def finite(x) -> bool:
    return x is not None and np.isfinite(x)
