"""Thí điểm và nhân rộng: cohorts, figures after 6/12/24 months, ramp-up, cell survival,
outcome indicators with a staggered difference-in-differences and its evidence label."""
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboard.analysis import evaluation as ev
from dashboard.contract import INDICATOR_LABELS, indicator_label
from dashboard.i18n import fmt
from dashboard.web import ui


@st.cache_data(show_spinner="Đang ước lượng…", max_entries=64)
def _did(panel, cohorts, window):
    return ev.did_estimates(panel, cohorts, pre=window, post=window)


@st.cache_data(show_spinner=False, max_entries=64)
def _event(panel, cohorts, cohort, window):
    return ev.event_study(panel, cohorts, cohort, pre=window, post=window)


f = ui.filters()
params = {"as_of": f["as_of"], "communes": f["communes"]}

st.title("Thí điểm và nhân rộng")
ui.demo_banner()
st.caption(ui.filter_caption(f) + " · Các xã nhân rộng có đạt được kết quả như các xã thí điểm?")

c1, c2, c3 = st.columns(3)
wave = c1.segmented_control("Chia đợt nhân rộng theo", ["quarter", "year"],
                            default=ui.url_value("ev_wave", "quarter", ["quarter", "year"]),
                            format_func={"quarter": "Quý", "year": "Năm"}.get, key="ev_wave") \
    or "quarter"
horizon = c2.segmented_control("Mốc để tóm tắt (tháng sau khi bắt đầu)", list(ev.HORIZONS),
                               default=ui.url_value("ev_horizon", 12, list(ev.HORIZONS)),
                               key="ev_horizon") or 12
view = c3.segmented_control("Đường tăng độ phủ", ["phase", "cohort"],
                            default=ui.url_value("ev_view", "phase", ["phase", "cohort"]),
                            format_func={"phase": "Thí điểm / nhân rộng",
                                         "cohort": "Từng đợt"}.get, key="ev_view") or "phase"

ui.keep_in_url(ev_wave="quarter", ev_horizon=12, ev_view="phase")
starts = ui.run_query("eval_commune_starts", **params)
if starts.empty:
    st.info("Chưa có xã nào trong dữ liệu. Vào trang **Dữ liệu** để tải lên danh mục đơn vị và "
            "danh sách tổ.")
    st.stop()
data = ev.EvalData(as_of=f["as_of"], cohorts=ev.assign_cohorts(starts, wave),
                   history=ui.run_query("eval_coverage_history", **params),
                   cells=ui.run_query("eval_cell_survival", **params),
                   indicators=ui.run_query("eval_indicators", **params))
cohorts = data.cohorts
labels = ev.cohort_labels(cohorts)
colors = ev.cohort_colors(list(labels.values()) + list(ev.PHASE_LABELS.values()))

summary_box = st.container(border=True)

# 1. cohorts ---------------------------------------------------------------------------------
st.subheader("Các nhóm xã")
table = ev.cohort_table(cohorts)
started = cohorts[cohorts["started_on"].notna()]
left, right = st.columns([2, 3])
with left:
    counts = table.assign(label=table["cohort_label"])
    fig = px.bar(counts, x="communes", y="label", orientation="h", text="communes",
                 color="label", color_discrete_map=colors,
                 labels={"communes": "Số xã", "label": ""})
    fig.update_layout(showlegend=False, title="Số xã trong mỗi nhóm",
                      yaxis=dict(categoryorder="array",
                                 categoryarray=list(table["cohort_label"])[::-1]))
    ui.chart(fig, "ev_sizes", height=120 + 34 * len(table))
with right:
    if started.empty:
        st.info("Chưa có xã nào thành lập tổ.")
    else:
        fig = px.strip(started, x="started_on", y="cohort_label", color="cohort_label",
                       color_discrete_map=colors, hover_name="commune_name",
                       labels={"started_on": "Ngày thành lập tổ đầu tiên", "cohort_label": ""})
        fig.update_layout(showlegend=False, title="Ngày bắt đầu của từng xã",
                          yaxis=dict(categoryorder="array",
                                     categoryarray=list(labels.values())[::-1]))
        fig.update_xaxes(tickformat="%m/%Y")
        ui.chart(fig, "ev_starts", "eval_commune_starts", params,
                 height=120 + 34 * max(len(table) - 1, 1))

# 2. side by side at as_of and after 6/12/24 months ------------------------------------------
st.subheader("So sánh các nhóm: tại ngày đã chọn và sau 6, 12, 24 tháng")
fig_cols = ["cohort_label", "communes", "cells", "members", "members_per_cell", "households",
            "households_covered", "coverage_pct", "households_per_member"]
by_h = ev.figures_at_horizons(data.history, cohorts, data.as_of)
tabs = st.tabs([f"Tại {fmt.date(data.as_of)}"] + [f"Sau {h} tháng" for h in ev.HORIZONS],
               key="moc", bind="query-params")
with tabs[0]:
    now = table[["cohort_label", "first_start", "last_start"] + fig_cols[1:]].copy()
    now["evidence"] = [ev.size_evidence(n)["label"] if n else "" for n in now["communes"]]
    ui.table(now, "ev_now", "eval_commune_starts", params, title="Các nhóm xã tại ngày đã chọn",
             labels=ev.LABELS)
for tab, h in zip(tabs[1:], ev.HORIZONS):
    with tab:
        part = by_h[by_h["horizon"] == h]
        if part.empty:
            st.info(f"Chưa có xã nào đủ {h} tháng kể từ khi bắt đầu.")
            continue
        st.caption(f"Số liệu của mỗi xã tại cuối tháng thứ {h} kể từ tháng bắt đầu; chỉ gồm các "
                   f"xã đã đủ {h} tháng. Khoảng tin cậy 95% của độ phủ: bootstrap theo xã.")
        ui.table(part[fig_cols + ["coverage_ci_low", "coverage_ci_high", "evidence"]],
                 f"ev_h{h}", "eval_coverage_history", params,
                 title=f"Các nhóm xã sau {h} tháng", labels=ev.LABELS)

# 3. ramp-up curves ----------------------------------------------------------------------------
st.subheader("Độ phủ tăng nhanh đến đâu sau khi bắt đầu?")
ramp_cohorts = ev.phase_cohorts(cohorts) if view == "phase" else cohorts
ramp = ev.ramp_up(data.history, ramp_cohorts, data.as_of, max_months=36)
if ramp.empty:
    st.info("Chưa có xã nào đủ một tháng trọn vẹn kể từ khi bắt đầu.")
else:
    fig = go.Figure()
    for label, g in ramp.groupby("cohort_label", sort=False):
        color = colors.get(label, "#555")
        rgb = tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))
        fig.add_trace(go.Scatter(
            x=list(g["months_since"]) + list(g["months_since"])[::-1],
            y=list(g["p75"]) + list(g["p25"])[::-1], fill="toself", line=dict(width=0),
            fillcolor=f"rgba{rgb + (0.15,)}", hoverinfo="skip", showlegend=False,
            legendgroup=label))
        fig.add_trace(go.Scatter(
            x=g["months_since"], y=g["median"], mode="lines+markers", name=label,
            line=dict(color=color, width=3), marker=dict(size=5), legendgroup=label,
            customdata=g[["communes", "p25", "p75"]],
            hovertemplate=(f"<b>{label}</b><br>Tháng thứ %{{x}} kể từ khi bắt đầu<br>"
                           "Độ phủ trung vị: %{y:.1f}%<br>"
                           "Một nửa số xã trong khoảng %{customdata[1]:.1f}%–%{customdata[2]:.1f}%"
                           "<br>Số xã: %{customdata[0]}<extra></extra>")))
    fig.update_layout(xaxis_title="Số tháng kể từ khi xã bắt đầu (tháng 0 = tháng thành lập tổ "
                                  "đầu tiên)",
                      yaxis_title="Độ phủ hộ gia đình (%)", yaxis=dict(range=[0, 100]),
                      legend=dict(orientation="h", y=-0.22),
                      title="Đường: độ phủ trung vị của các xã trong nhóm; vùng mờ: một nửa số "
                            "xã ở giữa")
    ui.chart(fig, "ev_ramp", "eval_coverage_history", params, height=460)
    ui.downloads(ramp.drop(columns=["cohort", "cohort_order"]).rename(columns=ev.LABELS),
                 "eval_ramp_up", "ev_ramp_dl", "Độ phủ theo số tháng kể từ khi bắt đầu")

# 4. survival ---------------------------------------------------------------------------------
st.subheader("Tổ còn hoạt động sau 6, 12, 24 tháng")
surv = ev.cell_survival(data.cells, ramp_cohorts, data.as_of)
shown = surv[surv["cells_eligible"] > 0]
if shown.empty:
    st.info("Chưa có tổ nào đủ 6 tháng kể từ khi thành lập.")
else:
    plot = shown.assign(moc=shown["horizon"].map(lambda h: f"Sau {h} tháng"),
                        text=shown["share_pct"].map(fmt.percent))
    fig = px.bar(plot, x="moc", y="share_pct", color="cohort_label", barmode="group",
                 text="text", color_discrete_map=colors,
                 custom_data=["cells_active", "cells_eligible"],
                 labels={"moc": "", "share_pct": "Tỷ lệ tổ còn hoạt động (%)",
                         "cohort_label": ""})
    fig.update_traces(hovertemplate="%{y:.1f}% (%{customdata[0]} / %{customdata[1]} tổ)"
                                    "<extra></extra>")
    fig.update_layout(yaxis=dict(range=[0, 105]), legend=dict(orientation="h", y=-0.15),
                      title="Tỷ lệ tổ chưa giải thể, tính từ ngày thành lập tổ")
    ui.chart(fig, "ev_survival", "eval_cell_survival", params, height=380)
    st.caption("Chỉ tính các tổ đã thành lập đủ 6, 12 hoặc 24 tháng tính đến ngày đã chọn.")
    ui.table(shown[["cohort_label", "horizon", "communes", "cells_eligible", "cells_active",
                    "share_pct", "evidence"]], "ev_survival_table", title="Tổ còn hoạt động",
             labels=ev.LABELS)

# 5. outcome indicators -----------------------------------------------------------------------
st.subheader("Chỉ số kết quả: thay đổi sau khi bắt đầu so với xã chưa bắt đầu")
indicators = data.indicators
ests, panel, indicator = [], None, None
if indicators.empty:
    st.info("Chưa có số liệu chỉ số kết quả. Tải lên tệp **Chỉ số kết quả** (mã đơn vị, kỳ, chỉ "
            "số, giá trị) ở trang Dữ liệu.")
else:
    codes = list(indicators["indicator"])
    preferred = [c for c in INDICATOR_LABELS if c in codes]
    c1, c2, c3 = st.columns([2, 1, 2])
    first = preferred[0] if preferred else codes[0]
    indicator = c1.selectbox("Chỉ số", codes,
                             index=codes.index(ui.url_value("ev_indicator", first, codes)),
                             format_func=lambda c: indicator_label(c) if c == indicator_label(c)
                             else f"{indicator_label(c)} ({c})", key="ev_indicator")
    window = c2.selectbox("Số tháng trước/sau", [6, 12, 24],
                          index=[6, 12, 24].index(ui.url_value("ev_window", 12, [6, 12, 24])),
                          key="ev_window")
    ui.keep_in_url(ev_indicator=first, ev_window=12)
    panel_raw = ui.run_query("eval_indicator_panel", indicator=indicator, **params)
    panel = ev.prepare_panel(panel_raw)
    ests = _did(panel, cohorts, window)
    higher_better = INDICATOR_LABELS.get(indicator, (indicator, True))[1]
    if not ests:
        st.warning("Chưa đủ số liệu để so sánh: cần các xã đã bắt đầu có số liệu cả trước và sau "
                   "khi bắt đầu, và các xã chưa bắt đầu trong cùng các tháng.")
    else:
        main = next((e for e in ests if e.cohort == ev.ALL_STARTED), ests[0])
        grade_color = {"strong": "green", "moderate": "orange", "weak": "gray"}
        with c3:
            st.metric(f"Tác động ước lượng — {main.cohort_label.lower()}",
                      ("+" if main.estimate > 0 else "") + fmt.fixed(main.estimate, 2)
                      + " mỗi tháng",
                      help="Chênh lệch giá trị hằng tháng của chỉ số sau khi xã bắt đầu, so với "
                           "các xã chưa bắt đầu trong cùng các tháng.")
            st.badge(main.evidence["label"], color=grade_color[main.evidence["grade"]])
        st.markdown(ev.estimate_sentence(main, indicator))
        st.caption(main.evidence["text"] + (" Chỉ số này càng cao càng tốt." if higher_better
                                            else " Chỉ số này càng thấp càng tốt."))

        left, right = st.columns(2)
        with left:
            forest = ev.estimates_table(ests)
            forest["grade"] = [e.evidence["grade"] for e in ests]
            fig = go.Figure()
            for grade, label in ev.EVIDENCE_LABELS.items():
                g = forest[forest["grade"] == grade]
                if g.empty:
                    continue
                fig.add_trace(go.Scatter(
                    x=g["estimate"], y=g["cohort_label"], mode="markers", name=label,
                    marker=dict(size=11, color=ev.EVIDENCE_COLORS[grade]),
                    error_x=dict(type="data", symmetric=False,
                                 array=g["ci_high"] - g["estimate"],
                                 arrayminus=g["estimate"] - g["ci_low"]),
                    hovertemplate="%{y}: %{x:.2f}<extra>" + label + "</extra>"))
            fig.add_vline(x=0, line_dash="dot", line_color="#555")
            fig.update_layout(title="Tác động ước lượng theo nhóm (khoảng tin cậy 95%)",
                              xaxis_title="Thay đổi mỗi tháng so với xã chưa bắt đầu",
                              yaxis=dict(categoryorder="array",
                                         categoryarray=list(forest["cohort_label"])[::-1]),
                              legend=dict(orientation="h", y=-0.2))
            ui.chart(fig, "ev_forest", "eval_indicator_panel",
                     {"indicator": indicator, **params}, height=140 + 34 * len(forest))
        with right:
            choices = [e.cohort for e in ests][::-1]
            names = {e.cohort: e.cohort_label for e in ests}
            chosen = st.selectbox("Nghiên cứu sự kiện cho nhóm", choices,
                                  index=choices.index(ui.url_value("ev_event_cohort", choices[0],
                                                                   choices)),
                                  format_func=names.get, key="ev_event_cohort")
            ui.keep_in_url(ev_event_cohort=choices[0])
            es = _event(panel, cohorts, chosen, window)
            est = next(e for e in ests if e.cohort == chosen)
            es["phase"] = es["rel"].map(lambda r: "Trước khi bắt đầu" if r < 0
                                        else "Sau khi bắt đầu")
            fig = go.Figure()
            for name, color in (("Trước khi bắt đầu", "#7f7f7f"), ("Sau khi bắt đầu", "#B3261E")):
                g = es[es["phase"] == name]
                fig.add_trace(go.Scatter(
                    x=g["rel"], y=g["coef"], mode="markers", name=name,
                    marker=dict(size=8, color=color),
                    error_y=dict(type="data", symmetric=False, array=g["ci_high"] - g["coef"],
                                 arrayminus=g["coef"] - g["ci_low"], color=color),
                    customdata=g[["communes"]],
                    hovertemplate="Tháng %{x}: %{y:.2f}<br>Số xã: %{customdata[0]}"
                                  "<extra></extra>"))
            fig.add_vline(x=-0.5, line_dash="dash", line_color="#333",
                          annotation_text="Bắt đầu", annotation_position="top right")
            fig.add_hline(y=0, line_dash="dot", line_color="#555")
            fig.update_layout(title="Chênh lệch theo tháng so với tháng bắt đầu",
                              xaxis_title="Tháng so với tháng bắt đầu (−1 = mốc so sánh)",
                              yaxis_title="Chênh lệch so với xã chưa bắt đầu",
                              legend=dict(orientation="h", y=-0.25))
            ui.chart(fig, "ev_event", height=380)
            st.caption(f"{est.evidence['label']}. Các điểm trước khi bắt đầu cần dao động quanh 0; "
                       "nếu chúng tăng hoặc giảm dần, hai nhóm đã khác nhau từ trước và ước lượng "
                       "không đáng tin.")
        st.caption("Tải số liệu của biểu đồ nghiên cứu sự kiện:")
        ui.downloads(es.drop(columns=["phase"]).rename(columns=ev.LABELS),
                     "eval_event_study", "ev_event_dl", "Nghiên cứu sự kiện")

        table_ests = ev.estimates_table(ests)
        ui.table(table_ests, "ev_did", "eval_indicator_panel", {"indicator": indicator, **params},
                 title=f"Trước và sau khi bắt đầu — {indicator_label(indicator)}",
                 labels=ev.LABELS)
        st.caption("Trước/sau: trung bình hằng tháng mỗi xã trong "
                   f"{window} tháng trước và từ tháng bắt đầu đến {window} tháng sau; chưa trừ "
                   "thay đổi chung của cả tỉnh. Tác động ước lượng (DiD) đã trừ thay đổi đó bằng "
                   "các xã chưa bắt đầu.")

with st.expander("Cách tính và đọc kết quả"):
    st.markdown(ev.method_text(*(2 * [st.session_state.get("ev_window", 12)])))

# summary (filled last, shown at the top) -----------------------------------------------------
result = ev.findings(data, panel, indicator, horizon=int(horizon),
                     pre=st.session_state.get("ev_window", 12),
                     post=st.session_state.get("ev_window", 12),
                     estimates=ests if panel is not None else None)
with summary_box:
    st.markdown("**Tóm tắt để trình bày**")
    for sentence in result["sentences"]:
        st.markdown("- " + ui.esc(sentence))
