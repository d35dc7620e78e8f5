"""Thí điểm và nhân rộng (layout only; computed in dashboard.analysis.evaluation, read and
cached by dashboard.web.evaluation_data, shared with the presentation's evaluation slide): cohorts, coverage after 6/12/24 months, ramp-up, Kaplan–Meier survival, the
effect on an indicator with its design quality and evidence labels."""
import streamlit as st

from dashboard.analysis import evaluation as ev
from dashboard.analysis.evaluation import figures as figs
from dashboard.contract import indicator_label
from dashboard.i18n import fmt
from dashboard.web import evaluation_data as ed
from dashboard.web import ui

f = ui.filters()
params = {"as_of": f["as_of"], "communes": f["communes"]}
key = ed.key(f["as_of"], f["communes"])      # (scope, data version), date, communes
st.title("Thí điểm và nhân rộng")
ui.demo_banner()
st.caption(ui.filter_caption(f) + " · Các xã nhân rộng có đạt được kết quả như các xã thí điểm?")
c1, c2, c3 = st.columns(3)
wave = c1.segmented_control("Chia đợt nhân rộng theo", ["quarter", "year"], key="ev_wave",
                            default=ui.url_value("ev_wave", "quarter", ["quarter", "year"]),
                            format_func={"quarter": "Quý", "year": "Năm"}.get) or "quarter"
horizon = c2.segmented_control("Mốc để tóm tắt (tháng sau khi bắt đầu)", list(ev.HORIZONS),
                               default=ui.url_value("ev_horizon", 12, list(ev.HORIZONS)),
                               key="ev_horizon") or 12
view = c3.segmented_control("Nhóm xã trong biểu đồ", ["phase", "cohort"], key="ev_view",
                            default=ui.url_value("ev_view", "phase", ["phase", "cohort"]),
                            format_func={"phase": "Thí điểm / nhân rộng",
                                         "cohort": "Từng đợt"}.get) or "phase"
ui.keep_in_url(ev_wave="quarter", ev_horizon=12, ev_view="phase")
# what the cached figures depend on besides the data (ui.cached_chart adds scope and version)
deps = {"as_of": f["as_of"], "communes": list(key[2]), "wave": wave}
data, ov = ed.overview(*key, wave)
if view == "cohort":
    ov = {**ov, **ed.by_cohort(*key, wave)}
if data.cohorts.empty:
    st.info(ev.TEXTS["no_communes"])
    st.stop()
labels = ev.cohort_labels(data.cohorts)
colors = ev.cohort_colors(list(labels.values()) + list(ev.PHASE_LABELS.values()))
summary_box = st.container(border=True)

st.subheader("Các nhóm xã")
left, right = st.columns([2, 3])
table, started = ov["table"], data.cohorts[data.cohorts["started_on"].notna()]
with left:
    ui.cached_chart(lambda: figs.sizes_bar(table, colors), "ev_sizes", deps,
                    height=120 + 34 * len(table))
with right:
    if started.empty:
        st.info("Chưa có xã nào thành lập tổ.")
    else:
        ui.cached_chart(lambda: figs.starts_strip(started, labels, colors), "ev_starts",
                        deps, "eval_commune_starts", params,
                        height=120 + 34 * max(len(table) - 1, 1))

st.subheader("So sánh các nhóm: tại ngày đã chọn và sau 6, 12, 24 tháng")
cols = ["cohort_label", "communes", "cells", "members", "members_per_cell", "households",
        "households_covered", "coverage_pct", "households_per_member"]
tabs = st.tabs([f"Tại {fmt.date(data.as_of)}"] + [f"Sau {h} tháng" for h in ev.HORIZONS],
               key="moc", bind="query-params")
if tabs[0].open is not False:        # only the selected tab is built
    with tabs[0]:
        ui.table(table[["cohort_label", "first_start", "last_start"] + cols[1:]], "ev_now",
                 "eval_commune_starts", params, title="Các nhóm xã tại ngày đã chọn",
                 labels=ev.LABELS)
for tab, h in zip(tabs[1:], ev.HORIZONS):
    if tab.open is False:
        continue
    with tab:
        part = ov["by_horizon"][ov["by_horizon"]["horizon"] == h]
        if part.empty:
            st.info(f"Chưa có xã nào đủ {h} tháng kể từ khi bắt đầu.")
            continue
        st.caption(ev.TEXTS["horizon"].format(h=h))
        ui.table(part[cols + ["coverage_ci_low", "coverage_ci_high", "interval_note",
                              "communes_listed"]], f"ev_h{h}", "eval_coverage_history", params,
                 title=f"Các nhóm xã sau {h} tháng", labels=ev.LABELS)

st.subheader("Độ phủ tăng nhanh đến đâu sau khi bắt đầu?")
if ov["ramp"].empty:
    st.info("Chưa có xã nào đủ một tháng trọn vẹn kể từ khi bắt đầu.")
else:
    ui.cached_chart(lambda: figs.ramp_chart(ov["ramp"], colors), "ev_ramp",
                    {**deps, "view": view}, "eval_coverage_history", params, height=460)

st.subheader("Tổ còn hoạt động sau 6, 12, 24 tháng")
if not ov["survival"].empty:
    ui.cached_chart(lambda: figs.survival_chart(ov["curves"], colors), "ev_survival",
                    {**deps, "view": view}, "eval_cell_survival", params, height=380)
    st.caption(ev.TEXTS["survival"])
    ui.table(ov["survival"][["cohort_label", "horizon", "communes", "cells", "ended", "at_risk",
                             "share_pct", "ci_low", "ci_high"]], "ev_survival_table",
             title="Tổ còn hoạt động (Kaplan–Meier)", labels=ev.LABELS)

st.subheader("Chỉ số kết quả: thay đổi sau khi bắt đầu so với xã chưa bắt đầu")
result, indicator, scale, window, ant = None, None, "raw", None, None
if data.indicators.empty:
    st.info(ev.TEXTS["no_indicators"])
else:
    codes = list(data.indicators["indicator"])
    first = ed.page_indicator(codes)
    c1, c2, c3, c4 = st.columns([3, 1, 1, 2])
    indicator = c1.selectbox("Chỉ số", codes, key="ev_indicator", index=codes.index(
        ui.url_value("ev_indicator", first, codes)), format_func=lambda c: c if
        indicator_label(c) == c else f"{indicator_label(c)} ({c})")
    window = c2.selectbox("Số tháng k", [6, 12, 24], key="ev_window",
                          index=[6, 12, 24].index(ui.url_value("ev_window", 12, [6, 12, 24])))
    ant = c3.selectbox("Tháng dự kiến", [0, 1, 2, 3], key="ev_anticipation",
                       index=ui.url_value("ev_anticipation", 0, [0, 1, 2, 3]),
                       help=ev.TEXTS["anticipation"])
    scale = c4.segmented_control("Đọc chỉ số", list(ev.SCALES), format_func=ev.SCALES.get,
                                 default=ui.url_value("ev_scale", "raw", list(ev.SCALES)),
                                 key="ev_scale") or "raw"
    ui.keep_in_url(ev_indicator=first, ev_window=12, ev_anticipation=0, ev_scale="raw")
    result = ed.effects(*key, wave, indicator, window, ant, scale)
    effect_deps = {**deps, "indicator": indicator, "window": window, "anticipation": ant,
                   "scale": scale}
    main = result.main()
    if main is None:
        st.warning(ev.TEXTS["no_estimate"])
    else:
        st.markdown(f"**Ước lượng:** {ev.estimand(window, scale)}.")
        m1, m2 = st.columns([1, 2])
        m1.metric(main.cohort_label, ev.signed(main.estimate) + " mỗi tháng")
        for label in (main.design, main.evidence):
            m2.badge(label["label"], color=ev.BADGE_COLORS[label["grade"]])
        st.markdown(ev.plain(ev.estimate_sentence(main, indicator, scale)))
        st.caption(main.design["text"] + " " + main.evidence["text"])
        left, right = st.columns(2)
        q = {"indicator": indicator, **params}
        with left:
            ui.cached_chart(lambda: figs.forest(result.estimates, window), "ev_forest",
                            effect_deps, "eval_indicator_panel", q,
                            height=160 + 34 * len(result.estimates))
        with right:
            choices = [e.cohort for e in result.estimates][::-1]
            chosen = st.selectbox("Nghiên cứu sự kiện cho nhóm", choices, key="ev_event_cohort",
                                  format_func={e.cohort: e.cohort_label
                                               for e in result.estimates}.get,
                                  index=choices.index(ui.url_value("ev_event_cohort", choices[0],
                                                                   choices)))
            ui.keep_in_url(ev_event_cohort=choices[0])
            es = result.event[result.event["cohort"] == chosen]
            ui.cached_chart(lambda: figs.event_chart(es), "ev_event",
                            {**effect_deps, "cohort": chosen}, height=400)
            st.caption(result.by_cohort()[chosen].design["text"])
        ui.downloads(es.drop(columns=["order"]).rename(columns=ev.LABELS), "eval_event_study",
                     "ev_event_dl", "Nghiên cứu sự kiện")
        ui.table(ev.estimates_table(result.estimates), "ev_did", "eval_indicator_panel", q,
                 title=f"Ước lượng theo nhóm — {indicator_label(indicator)}", labels=ev.LABELS)

with st.expander("Cách tính và đọc kết quả"):
    st.markdown(ev.method_text(st.session_state.get("ev_window", 12),
                               st.session_state.get("ev_anticipation", 0), scale))
sentences = ed.findings(*key, wave, int(horizon), indicator, window, ant, scale)["sentences"]
with summary_box:
    st.markdown("**Tóm tắt để trình bày**")
    for sentence in sentences:
        st.markdown("- " + ui.esc(sentence))
