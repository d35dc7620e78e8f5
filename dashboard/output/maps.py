"""Offline maps and the coverage charts (plotly figures, no Streamlit).

Maps use `choroplethmap` / `scattermap` with `map_style="white-bg"`: no tiles, no CDN, no
fonts fetched, so they draw on a projector with no internet. Geometry comes from the
`map_boundaries` query (simplified once at import), figures from `map_units`,
`map_indicator` and `map_models` — all named queries the analyst can read.

- `build_layer(db, level, as_of, communes, metric)` → MapLayer: one row per unit with the
  metric value, its class and hover text, plus the GeoJSON of the units that have a boundary
  and the counts "no data" and "not on the map".
- `classify(values, scheme, k)`: quantiles, equal interval or natural breaks (Fisher–Jenks,
  deterministic) via mapclassify; legend labels in Vietnamese number format, each label the
  range of values actually in the class.
- `layer_figure(layer, ...)`: polygons where there is a boundary, the official commune
  centroid (a point sized by the value) where there is none.
- `add_models(fig, models, ...)`: the models as a point layer (own coordinates, else the
  village's boundary centre, else the commune centroid), one legend entry per field.
- `coverage_figure(db, as_of, communes, metric)`: the whole map for the meeting pack.
"""
from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field

import mapclassify
import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from dashboard.contract import FIELDS, enum_label, indicator_label
from dashboard.i18n import fmt
from dashboard.store import queries

NO_DATA = "Không có dữ liệu"
NO_DATA_COLOR = "#d9d9d9"
OUTLINE = "#ffffff"
LEGEND_WIDTH = 230      # px the legend takes on the right of the map
APPROXIMATE_NOTE = ("Ranh giới gần đúng, dựng từ tâm xã chính thức (Voronoi) — "
                    "không phải bản đồ địa giới")


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    kind: str            # percent | integer | decimal
    higher_is_better: bool | None = None   # None: neither (colour it neutrally)

    def format(self, value) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        if self.kind == "percent":
            return fmt.percent(value)
        if self.kind == "integer":
            return fmt.number(value)
        return fmt.number(value, 1)


METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric("coverage_pct", "Tỷ lệ hộ có tổ phụ trách", "percent", True),
    Metric("uncovered_households", "Số hộ chưa có tổ phụ trách", "integer", False),
    Metric("cells_per_1000_households", "Số tổ trên 1.000 hộ", "decimal", True),
    Metric("households_per_cell", "Số hộ mỗi tổ", "decimal", None),
    Metric("households_per_member", "Số hộ mỗi thành viên", "decimal", None),
    Metric("models", "Số mô hình “Dân vận khéo” đang hoạt động", "integer", True),
    Metric("cells", "Số tổ đang hoạt động", "integer", True),
    Metric("households", "Số hộ", "integer", None),
)}

SCHEMES: dict[str, str] = {
    "quantiles": "Phân vị (số đơn vị mỗi lớp bằng nhau)",
    "equal_interval": "Khoảng đều",
    "natural_breaks": "Ngắt tự nhiên (Jenks)",
}

LEVEL_LABELS = {"commune": "Xã/phường", "village": "Thôn/tổ dân phố"}

FIELD_COLORS = {"economy": "#1b9e77", "culture_society": "#7570b3",
                "defense_security": "#d95f02", "political_system": "#e7298a"}


def indicator_metric(code: str, higher_is_better: bool | None = None) -> Metric:
    from dashboard.contract import INDICATOR_LABELS
    hib = INDICATOR_LABELS.get(code, (code, None))[1] if higher_is_better is None else \
        higher_is_better
    return Metric(f"indicator:{code}", f"{indicator_label(code)} (12 tháng)", "decimal", hib)


def metric_for(key: str) -> Metric:
    if key.startswith("indicator:"):
        return indicator_metric(key.split(":", 1)[1])
    return METRICS[key]


def metric_options(db, as_of=None, communes=None, run=None) -> dict[str, str]:
    """Metric key -> Vietnamese label, the indicators present in the data included."""
    out = {k: m.label for k, m in METRICS.items()}
    try:
        ind = _runner(db, run)("eval_indicators", as_of=as_of, communes=communes)
        for code in ind["indicator"]:
            out[f"indicator:{code}"] = indicator_metric(code).label
    except KeyError:
        pass
    return out


# -- classification ---------------------------------------------------------------------------

@dataclass
class Classes:
    labels: pd.Series                 # per value: its class label, NO_DATA where missing
    order: list[str]                  # class labels low → high (NO_DATA last when present)
    colors: dict[str, str]
    bins: list[float] = field(default_factory=list)   # upper bounds used
    counts: dict[str, int] = field(default_factory=dict)


def class_bins(values: np.ndarray, scheme: str, k: int) -> list[float]:
    """Upper bounds of the classes (last = max), duplicates removed."""
    uniq = np.unique(values)
    k = int(max(1, min(k, len(uniq))))
    if k == 1:
        return [float(uniq[-1])]
    classes = {"quantiles": mapclassify.Quantiles, "equal_interval": mapclassify.EqualInterval,
               "natural_breaks": mapclassify.FisherJenks}
    if scheme not in classes:
        raise ValueError(f"Cách phân lớp không hợp lệ: {scheme}")
    with warnings.catch_warnings():   # "numba not installed", "not enough unique values"
        warnings.simplefilter("ignore", UserWarning)
        c = classes[scheme](values, k=k)
    bins = sorted(set(float(b) for b in c.bins))
    bins[-1] = max(bins[-1], float(values.max()))
    return bins


ZERO_COLORS = {True: "#fdae61", False: "#e0f3f8", None: "#f0f0f0"}   # by higher_is_better


def _scale_positions(n: int) -> list[float]:
    """Where n classes sit on the colour scale: spread from light to dark, a lone class at
    0.6 (clearly coloured, never mistaken for the scale's midpoint of a range)."""
    if n == 1:
        return [0.6]
    return [0.3 + 0.7 * i / (n - 1) for i in range(n)]


def classify(values: pd.Series, scheme: str = "quantiles", k: int = 5,
             metric: Metric | None = None, colorscale: str | None = None) -> Classes:
    """Class of each value with Vietnamese legend labels "min – max" of the values in it.

    Honest classes: a missing value is "Không có dữ liệu" (grey) and an exact 0 of a
    non-negative figure is its own class with its own colour (0 % coverage is "none", not the
    bottom of a range), so zeros never merge with positive values into one misleading range
    ("0,0 % – 75,2 %"). The other values are split by the scheme into at most k classes."""
    metric = metric or Metric("value", "Giá trị", "decimal", True)
    v = pd.to_numeric(values, errors="coerce").astype(float)
    ok = v.notna() & np.isfinite(v)
    labels = pd.Series(NO_DATA, index=values.index, dtype=object)
    order: list[str] = []
    bins: list[float] = []
    zero_label = None
    zero = ok & (v == 0) & bool(ok.any() and v[ok].min() >= 0)
    rest = ok & ~zero
    if zero.any():
        zero_label = metric.format(0)
        labels[zero] = zero_label
    if rest.any():
        arr = v[rest].to_numpy()
        bins = class_bins(arr, scheme, k)
        idx = np.searchsorted(np.asarray(bins), arr, side="left")
        idx = np.minimum(idx, len(bins) - 1)
        names = {}
        for i in sorted(set(idx)):
            members = arr[idx == i]
            lo, hi = members.min(), members.max()
            names[i] = metric.format(lo) if lo == hi else \
                f"{metric.format(lo)} – {metric.format(hi)}"
        labels[rest] = [names[i] for i in idx]
        order = [names[i] for i in sorted(names)]
    scale = colorscale or ("YlGn" if metric.higher_is_better else
                           "OrRd" if metric.higher_is_better is False else "Blues")
    colors = dict(zip(order, sample_colorscale(scale, _scale_positions(len(order))))) \
        if order else {}
    if zero_label is not None:
        order.insert(0, zero_label)
        colors[zero_label] = ZERO_COLORS[metric.higher_is_better]
    counts = labels.value_counts().to_dict()
    if (~ok).any():
        order.append(NO_DATA)
        colors[NO_DATA] = NO_DATA_COLOR
    return Classes(labels=labels, order=order, colors=colors, bins=bins,
                   counts={k_: int(counts.get(k_, 0)) for k_ in order})


# -- layers ----------------------------------------------------------------------------------

@dataclass
class MapLayer:
    level: str
    metric: Metric
    frame: pd.DataFrame               # map_units + value, class, hover, on_map, how drawn
    geojson: dict                     # FeatureCollection of the units with a boundary
    approximate: bool                 # any drawn boundary is approximate
    classes: Classes | None = None

    @property
    def no_data(self) -> int:
        return int(self.frame["value"].isna().sum())

    @property
    def not_on_map(self) -> int:
        return int((self.frame["drawn_as"] == "none").sum())

    @property
    def polygons(self) -> int:
        return int((self.frame["drawn_as"] == "polygon").sum())

    @property
    def points(self) -> int:
        return int((self.frame["drawn_as"] == "point").sum())


def _bounds_of(geojson_text: str) -> tuple[float, float, float, float]:
    coords = np.asarray(_flatten(json.loads(geojson_text)["coordinates"]))
    return coords[:, 0].min(), coords[:, 1].min(), coords[:, 0].max(), coords[:, 1].max()


def _flatten(c):
    if c and isinstance(c[0], (int, float)):
        return [c]
    out = []
    for x in c:
        out.extend(_flatten(x))
    return out


def _centre(geojson_text: str) -> tuple[float, float]:
    import shapely
    g = shapely.from_geojson(geojson_text)
    p = g.representative_point()
    return p.y, p.x


def _runner(db, run):
    """run(name, **params) -> DataFrame: the app passes its cached runner; default: direct."""
    if run is not None:
        return run
    return lambda name, **params: queries.run(db, name, **params)


def build_layer(db, level: str = "commune", as_of=None, communes=None,
                metric: str = "coverage_pct", scheme: str = "quantiles", k: int = 5,
                run=None) -> MapLayer:
    run = _runner(db, run)
    m = metric_for(metric)
    units = run("map_units", level=level, as_of=as_of, communes=communes).copy()
    geo = run("map_boundaries", level=level, communes=communes)
    if m.key.startswith("indicator:"):
        ind = run("map_indicator", indicator=m.key.split(":", 1)[1], level=level,
                          as_of=as_of, communes=communes)
        units = units.merge(ind[["unit_code", "value"]], on="unit_code", how="left")
    else:
        units = units.assign(value=units[m.key].astype(float))
    shapes = dict(zip(geo["unit_code"], geo["display_geojson"]))
    drawn = []
    for r in units.itertuples(index=False):
        if r.unit_code in shapes:
            drawn.append("polygon")
        elif level == "commune" and pd.notna(r.latitude):
            drawn.append("point")
        else:
            drawn.append("none")
    units["drawn_as"] = drawn
    features = [{"type": "Feature", "id": code, "properties": {"unit_code": code},
                 "geometry": json.loads(shapes[code])}
                for code in units.loc[units.drawn_as == "polygon", "unit_code"]]
    approx = bool(geo.loc[geo.unit_code.isin(units.unit_code), "approximate"].fillna(False).any())
    layer = MapLayer(level=level, metric=m, frame=units,
                     geojson={"type": "FeatureCollection", "features": features},
                     approximate=approx)
    layer.classes = classify(units["value"], scheme, k, m)
    units["class"] = layer.classes.labels.values
    units["hover"] = [_hover(r, m, level) for r in units.itertuples(index=False)]
    return layer


def _hover(r, m: Metric, level: str) -> str:
    lines = [f"<b>{r.unit_name}</b> ({r.unit_code})",
             f"{m.label}: <b>{m.format(r.value)}</b>",
             f"Số hộ: {fmt.number(r.households)} · chưa có tổ: {fmt.number(r.uncovered_households)}",
             f"Tỷ lệ hộ có tổ phụ trách: {fmt.percent(r.coverage_pct)}",
             f"Số tổ: {fmt.number(r.cells)} · thành viên: {fmt.number(r.members)}",
             f"Số mô hình đang hoạt động: {fmt.number(r.models)}"]
    if level == "commune":
        lines.append("<i>Bấm để xem các thôn/tổ dân phố</i>")
    return "<br>".join(lines)


def view_of(layer: MapLayer, width: int = 900, height: int = 620) -> tuple[dict, float]:
    """Centre and zoom that fit the drawn units (Web Mercator, 512-px tiles)."""
    boxes = [_bounds_of(json.dumps(f["geometry"])) for f in layer.geojson["features"]]
    pts = layer.frame[layer.frame.drawn_as == "point"]
    xs = [b[0] for b in boxes] + [b[2] for b in boxes] + list(pts.longitude)
    ys = [b[1] for b in boxes] + [b[3] for b in boxes] + list(pts.latitude)
    if not xs:
        return {"lon": 106.0, "lat": 16.0}, 4.5
    minx, maxx, miny, maxy = min(xs), max(xs), min(ys), max(ys)
    centre = {"lon": (minx + maxx) / 2, "lat": (miny + maxy) / 2}

    def merc(lat):
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    span_x = max(maxx - minx, 0.01) / 360.0
    span_y = max(merc(maxy) - merc(miny), 0.0002) / (2 * math.pi)
    zoom = min(math.log2(width / 512 / span_x), math.log2(height / 512 / span_y)) - 0.25
    return centre, float(max(1.0, min(zoom, 15.0)))


def layer_figure(layer: MapLayer, title: str | None = None, height: int = 620,
                 width: int | None = None, opacity: float = 0.85) -> go.Figure:
    """Choropleth of the units with a boundary, points for those drawn at their centroid."""
    f = layer.frame
    classes = layer.classes
    fig = go.Figure()
    poly = f[f.drawn_as == "polygon"]
    by_id = {feat["id"]: feat for feat in layer.geojson["features"]}
    for label in classes.order:
        part = poly[poly["class"] == label]
        if part.empty:
            continue
        color = classes.colors[label]
        # each trace carries only its own features: the page sends each shape once
        own = {"type": "FeatureCollection", "features": [by_id[c] for c in part["unit_code"]]}
        fig.add_trace(go.Choroplethmap(
            geojson=own, locations=part["unit_code"], featureidkey="id",
            z=[1] * len(part), colorscale=[[0, color], [1, color]], showscale=False,
            marker={"opacity": opacity, "line": {"color": OUTLINE, "width": 0.8}},
            customdata=np.stack([part["unit_code"], part["hover"]], axis=1),
            hovertemplate="%{customdata[1]}<extra></extra>",
            name=label, legendgroup=label, showlegend=True))
    pts = f[f.drawn_as == "point"]
    if not pts.empty:
        vals = pts["value"].astype(float)
        vmax = float(np.nanmax(np.abs(vals))) if vals.notna().any() else 1.0
        size = 8 + 22 * (np.sqrt(np.abs(vals.fillna(0))) / math.sqrt(vmax or 1.0))
        for label in classes.order:
            part = pts[pts["class"] == label]
            if part.empty:
                continue
            fig.add_trace(go.Scattermap(
                lat=part["latitude"], lon=part["longitude"], mode="markers",
                marker={"size": size[part.index], "color": classes.colors[label],
                        "opacity": 0.9},
                customdata=np.stack([part["unit_code"], part["hover"]], axis=1),
                hovertemplate="%{customdata[1]}<extra></extra>",
                name=label, legendgroup=label, showlegend=poly[poly["class"] == label].empty))
    width_for_view = (width or 1000) - LEGEND_WIDTH
    centre, zoom = view_of(layer, width_for_view, height - (70 if title else 30))
    fig.update_layout(
        map={"style": "white-bg", "center": centre, "zoom": zoom},
        height=height, width=width, margin={"l": 0, "r": 0, "t": 40 if title else 8, "b": 0},
        title={"text": title} if title else None,
        legend={"title": {"text": _wrap(layer.metric.label, 24)},
                "bgcolor": "rgba(255,255,255,0.85)",
                "x": 1.0, "y": 0.99, "xanchor": "left", "yanchor": "top",
                "itemclick": False, "itemdoubleclick": False},
        font={"family": "sans-serif"},
        separators=",.",
        paper_bgcolor="white",
    )
    notes = [f"{LEVEL_LABELS[layer.level]}: {fmt.number(layer.polygons)} vẽ theo ranh giới"]
    if layer.points:
        notes.append(f"{fmt.number(layer.points)} vẽ tại tâm xã")
    notes.append(f"không có dữ liệu: {fmt.number(layer.no_data)}")
    notes.append(f"không có trên bản đồ: {fmt.number(layer.not_on_map)}")
    text = " · ".join(notes)
    if layer.approximate:
        text += "<br>" + APPROXIMATE_NOTE
    fig.add_annotation(text=text, xref="paper", yref="paper", x=0.01, y=0.01,
                       xanchor="left", yanchor="bottom", showarrow=False, align="left",
                       font={"size": 11, "color": "#444"}, bgcolor="rgba(255,255,255,0.85)")
    return fig


def _wrap(text: str, width: int) -> str:
    """Break a legend title on spaces so it stays narrow (plotly has no auto-wrap)."""
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return "<br>".join(lines)


def model_positions(models: pd.DataFrame, village_shapes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Where to draw each model: its coordinates, else its village's boundary centre, else its
    commune's centroid spread on a small ring (so models of one commune do not hide each
    other). Adds `position` in {'model', 'village_centre', 'commune_centroid', None}."""
    m = models.copy()
    if village_shapes is not None and not village_shapes.empty:
        centres = {c: _centre(g) for c, g in zip(village_shapes.unit_code,
                                                  village_shapes.display_geojson)}
        own = m["position"] == "model"
        for i in m.index[~own & m.unit_code.isin(centres)]:
            lat, lon = centres[m.at[i, "unit_code"]]
            m.at[i, "latitude"], m.at[i, "longitude"] = lat, lon
            m.at[i, "position"] = "village_centre"
    ring = m["position"].isin(["commune_centroid", "village_centre"])
    if ring.any():
        grp = m[ring].groupby(["latitude", "longitude"]).cumcount()
        cnt = m[ring].groupby(["latitude", "longitude"])["model_id"].transform("count")
        ang = 2 * np.pi * grp / cnt.clip(lower=1)
        r = np.where(cnt > 1, 0.004 * np.sqrt(cnt / 10).clip(upper=1.5), 0.0)
        m.loc[ring, "latitude"] = m.loc[ring, "latitude"] + r * np.sin(ang)
        m.loc[ring, "longitude"] = m.loc[ring, "longitude"] + r * np.cos(ang)
    return m


def add_models(fig: go.Figure, models: pd.DataFrame, fields: list[str] | None = None) -> int:
    """Models as points, one legend entry per field; returns how many were drawn."""
    m = models[models.latitude.notna()]
    if fields is not None:
        m = m[m.field.isin(fields)]
    where = {"model": "tọa độ của mô hình", "village_centre": "giữa thôn/tổ dân phố",
             "commune_centroid": "tâm xã (chưa có tọa độ)"}
    for code in FIELDS:
        part = m[m.field == code]
        if part.empty:
            continue
        hover = [f"<b>{r.model_name}</b><br>{enum_label(FIELDS, r.field)}<br>{r.unit_name}"
                 f"<br>Từ {fmt.date(r.started_on)}<br><i>Vị trí: {where.get(r.position, '')}</i>"
                 for r in part.itertuples(index=False)]
        fig.add_trace(go.Scattermap(
            lat=part["latitude"], lon=part["longitude"], mode="markers",
            marker={"size": 7, "color": FIELD_COLORS[code], "opacity": 0.95},
            customdata=np.stack([part["model_id"], hover], axis=1),
            hovertemplate="%{customdata[1]}<extra></extra>",
            name=f"Mô hình: {enum_label(FIELDS, code)}", legendgroup="models"))
    return int(len(m))


def models_layer(db, as_of=None, communes=None, run=None) -> pd.DataFrame:
    run = _runner(db, run)
    models = run("map_models", as_of=as_of, communes=communes)
    shapes = run("map_boundaries", level="village", communes=communes)
    return model_positions(models, shapes)


def coverage_figure(db, as_of=None, communes=None, metric: str = "coverage_pct",
                    level: str = "commune", scheme: str = "quantiles", k: int = 5,
                    with_models: bool = False, title: str | None = None,
                    width: int = 1200, height: int = 760, run=None) -> go.Figure:
    """The coverage map for the current filters (meeting pack, PNG export)."""
    layer = build_layer(db, level, as_of, communes, metric, scheme, k, run=run)
    if title is None:
        title = f"{layer.metric.label} theo {LEVEL_LABELS[level].lower()}"
        if as_of is not None:
            title += f" — đến {fmt.date(queries.coerce_param('as_of', as_of))}"
    fig = layer_figure(layer, title=title, height=height, width=width)
    if with_models:
        add_models(fig, models_layer(db, as_of, communes, run=run))
    return fig


# -- coverage charts --------------------------------------------------------------------------

def distribution_figure(values: pd.Series, norm_lines: list[tuple[float, str]],
                        x_label: str, height: int = 320, bin_size: float | None = None) -> go.Figure:
    """Histogram of a per-cell figure with vertical norm lines (Vietnamese labels)."""
    v = pd.to_numeric(values, errors="coerce").dropna()
    fig = px.histogram(x=v, labels={"x": x_label}, height=height)
    if bin_size:
        fig.update_traces(xbins={"size": bin_size})
    fig.update_traces(marker_color="#4c78a8",
                      hovertemplate=x_label + ": %{x}<br>Số tổ: %{y}<extra></extra>")
    for x, text in norm_lines:
        fig.add_vline(x=x, line_dash="dash", line_color="#d62728",
                      annotation_text=text, annotation_position="top")
    fig.update_layout(yaxis_title="Số tổ", xaxis_title=x_label, bargap=0.05,
                      margin={"l": 10, "r": 10, "t": 30, "b": 10}, separators=",.")
    return fig
