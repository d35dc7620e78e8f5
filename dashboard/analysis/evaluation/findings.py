"""Loading the named queries, the key findings as data, and the Vietnamese sentences a
presenter reads out (the page, the CLI, the generated summary and the meeting pack share
them)."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from dashboard import config
from dashboard.contract import indicator_label
from dashboard.i18n import fmt

from . import labels
from .cohorts import ALL_STARTED, NONE, PILOT, assign_cohorts, cohort_table, phase_cohorts
from .coverage import (
    HORIZONS,
    cell_survival,
    figures_at_horizons,
    ramp_up,
    survival_curves,
    with_months_since,
)
from .dates import to_date
from .effects import Effects, Estimate, effects
from .estimation import per_households, prepare_panel

# Named queries this module reads (the page shows their SQL).
QUERY_NAMES = ("eval_commune_starts", "eval_coverage_history", "eval_cell_survival",
               "eval_indicators", "eval_indicator_panel")
SCALES = {"raw": "giá trị hằng tháng", "per_1000": "trên 1.000 hộ"}
# the page's fixed texts (kept here so the page stays layout only)
TEXTS = {
    "no_communes": "Chưa có xã nào trong dữ liệu. Vào trang **Dữ liệu** để tải lên danh mục "
                   "đơn vị và danh sách tổ.",
    "horizon": "Số liệu mỗi xã tại cuối tháng thứ {h} kể từ tháng bắt đầu; chỉ các xã đã đủ "
               "{h} tháng (danh sách ở cột cuối). Khoảng tin cậy 95%: tuyến tính hóa tỷ số, "
               "phân phối t; không tính khi dưới 5 xã.",
    "survival": "Kaplan–Meier: tổ chưa giải thể được theo dõi đến ngày đã chọn. Khoảng tin cậy "
                "95%: bootstrap theo xã (không tính khi dưới 5 xã).",
    "no_indicators": "Chưa có số liệu chỉ số kết quả. Tải lên tệp **Chỉ số kết quả** (mã đơn "
                     "vị, kỳ, chỉ số, giá trị) ở trang Dữ liệu.",
    "no_estimate": "Chưa đủ số liệu để so sánh: cần các xã đã bắt đầu có số liệu cả trước và "
                   "sau khi bắt đầu, và các xã chưa bắt đầu trong cùng các tháng.",
    "anticipation": "Số tháng ngay trước khi bắt đầu được bỏ ra (xã có thể đã thay đổi từ "
                    "trước khi lập tổ).",
}


@dataclass
class EvalData:
    as_of: dt.date
    cohorts: pd.DataFrame
    history: pd.DataFrame
    cells: pd.DataFrame
    indicators: pd.DataFrame


def load(db, as_of, communes=None, wave: str = "quarter") -> EvalData:
    from dashboard.store import queries

    params = {"as_of": to_date(as_of), "communes": communes}
    starts = queries.run(db, "eval_commune_starts", params)
    return EvalData(
        as_of=to_date(as_of),
        cohorts=assign_cohorts(starts, wave),
        history=queries.run(db, "eval_coverage_history", params),
        cells=queries.run(db, "eval_cell_survival", params),
        indicators=queries.run(db, "eval_indicators", params),
    )


def indicators_at(periods: pd.DataFrame, as_of) -> pd.DataFrame:
    """The rows of eval_indicators at as_of from eval_indicator_periods (every period): per
    indicator, the periods up to the month of as_of added up (communes: those whose first
    period is among them)."""
    cols = ["indicator", "communes", "periods", "first_period", "last_period", "rows"]
    kept = periods[(periods["period"] <= f"{to_date(as_of):%Y-%m}").to_numpy(bool)]
    if kept.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("communes", "periods", "rows")
                                          else object) for c in cols})
    g = kept.groupby("indicator", sort=True)
    out = pd.DataFrame({"communes": g["new_communes"].sum(), "periods": g.size(),
                        "first_period": g["period"].min(), "last_period": g["period"].max(),
                        "rows": g["rows"].sum()}).reset_index()
    return out[cols].astype({"communes": "int64", "periods": "int64", "rows": "int64"})


def load_panel(db, as_of, indicator: str, communes=None) -> pd.DataFrame:
    from dashboard.store import queries

    raw = queries.run(db, "eval_indicator_panel", as_of=to_date(as_of), communes=communes,
                      indicator=indicator)
    return prepare_panel(raw)


def scaled_panel(panel: pd.DataFrame, cohorts: pd.DataFrame, scale: str = "raw"
                 ) -> pd.DataFrame:
    return per_households(panel, cohorts) if scale == "per_1000" else panel


# --------------------------------------------------------------------------------------------
# sentences
def _nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


_MD = str.maketrans({c: "\\" + c for c in "\\`*_[]<>#|~$"})


def plain(text: str) -> str:
    """Text safe to show through markdown: user text (indicator names) cannot format."""
    return str(text).translate(_MD)


def signed(value: float, digits: int = 2) -> str:
    if _nan(value):
        return "–"
    return ("+" if value > 0 else "") + fmt.fixed(value, digits)


def ci_text(lo: float, hi: float, pct: bool = False, digits: int = 2) -> str:
    if _nan(lo) or _nan(hi):
        return "không tính được"
    if pct:
        return f"{fmt.percent(lo)} – {fmt.percent(hi)}"
    return f"{fmt.fixed(lo, digits)} đến {fmt.fixed(hi, digits)}"


def p_text(p: float) -> str:
    return "–" if _nan(p) else ("<0,001" if p < 0.001 else fmt.fixed(p, 3))


def estimand(window: int, scale: str = "raw") -> str:
    """The one-sentence estimand."""
    unit = " (tính trên 1.000 hộ)" if scale == "per_1000" else ""
    return (f"thay đổi trung bình mỗi tháng trong {window} tháng đầu so với các xã chưa bắt "
            f"đầu{unit}")


def _who(e: Estimate) -> str:
    return ("các xã đã bắt đầu" if e.cohort == ALL_STARTED
            else f"nhóm «{e.cohort_label}»")


def estimate_sentence(e: Estimate, indicator: str, scale: str = "raw") -> str:
    name = indicator_label(indicator)
    level = fmt.percent(100 * (1 - config.get("eval_alpha")), 0)
    if not e.has_interval:
        return (f"Chỉ số «{name}», {_who(e)} ({e.n_treated} xã): trung bình "
                f"{fmt.fixed(e.before_mean, 2)} mỗi tháng trước khi bắt đầu và "
                f"{fmt.fixed(e.after_mean, 2)} trong {e.window} tháng đầu; các xã chưa bắt "
                f"đầu cùng các tháng đó: {fmt.fixed(e.control_before_mean, 2)} và "
                f"{fmt.fixed(e.control_after_mean, 2)} (chênh lệch mô tả "
                f"{signed(e.estimate)}). {e.evidence['text']}")
    p = (f"p = {p_text(e.p_adjusted)} sau hiệu chỉnh Holm" if e.cohort != ALL_STARTED
         and not _nan(e.p_adjusted) and e.p_adjusted != e.p_value else f"p = {p_text(e.p_value)}")
    return (f"Chỉ số «{name}», {_who(e)}: {estimand(e.window, scale)} là "
            f"{signed(e.estimate)} (khoảng tin cậy {level}: {ci_text(e.ci_low, e.ci_high)}; "
            f"{p}; {labels.METHOD_LABELS[e.method]}; {e.n_treated} xã đã bắt đầu, "
            f"{control_text(e)}). {e.design['label']}. {e.evidence['label']}.")


def control_text(e: Estimate) -> str:
    """The control communes, each counted once."""
    later = e.n_control - e.n_control_never
    if not later:
        return f"{e.n_control} xã đối chứng chưa có tổ"
    return (f"{e.n_control} xã đối chứng: {e.n_control_never} xã chưa có tổ và {later} xã của "
            "các đợt sau, trước khi chúng bắt đầu")


def coverage_sentence(coverage: dict, horizon: int) -> str | None:
    bits = []
    n_min = config.get("eval_min_communes_inference")
    for key, who in ((PILOT, "các xã thí điểm"), ("rollout", "các xã nhân rộng")):
        if key in coverage:
            c = coverage[key]
            if _nan(c["ci_low"]):
                extra = f"{c['communes']} xã; dưới {n_min} xã nên không tính khoảng tin cậy"
            else:
                extra = (f"khoảng tin cậy 95%: {ci_text(c['ci_low'], c['ci_high'], pct=True)}; "
                         f"{c['communes']} xã")
            bits.append(f"{who} đạt độ phủ {fmt.percent(c['coverage_pct'])} ({extra})")
    return f"Sau {horizon} tháng, " + "; ".join(bits) + "." if bits else None


def findings(data: EvalData, panel: pd.DataFrame | None = None, indicator: str | None = None,
             horizon: int = 12, window: int | None = None, anticipation: int | None = None,
             result: Effects | None = None, scale: str = "raw", overview: dict | None = None
             ) -> dict:
    """Key findings as data: numbers + Vietnamese sentences a presenter can read out.
    `result`: effects() already computed for this panel (then `panel` may be None);
    `overview`: compute_overview() already computed for these data (else both computed
    here)."""
    cohorts = data.cohorts
    ov = overview or compute_overview(data, "phase")
    table, by_phase, surv = ov["table"], ov["by_phase"], ov["survival_phase"]
    sentences = []
    n_pilot = int((cohorts["cohort"] == PILOT).sum())
    n_none = int((cohorts["cohort"] == NONE).sum())
    roll = cohorts[cohorts["phase"] == "rollout"]
    n_waves = roll["cohort"].nunique()
    part = [f"{n_pilot} xã thí điểm"]
    if n_pilot:
        first_pilot = cohorts.loc[cohorts["cohort"] == PILOT, "started_on"].min()
        part[0] += f" (bắt đầu từ {fmt.date(first_pilot)})"
    if len(roll):
        waves = table[table["cohort"].str.startswith("rollout")]["cohort_label"]
        first, last = (w.replace("Nhân rộng ", "") for w in (waves.iloc[0], waves.iloc[-1]))
        span = first if first == last else f"{first} đến {last}"
        part.append(f"{len(roll)} xã nhân rộng trong {n_waves} đợt ({span})")
    part.append(f"{n_none} xã chưa bắt đầu")
    sentences.append(f"Đến {fmt.date(data.as_of)}: " + ", ".join(part) + ".")

    coverage = {}
    h = by_phase[by_phase["horizon"] == horizon]
    if h.empty and not by_phase.empty:
        horizon = int(by_phase["horizon"].min())
        h = by_phase[by_phase["horizon"] == horizon]
    for _, r in h.iterrows():
        coverage[r["cohort"]] = {"coverage_pct": r["coverage_pct"], "communes": r["communes"],
                                 "ci_low": r["coverage_ci_low"], "ci_high": r["coverage_ci_high"],
                                 "members_per_cell": r["members_per_cell"],
                                 "households_per_member": r["households_per_member"],
                                 "communes_listed": r["communes_listed"]}
    s = coverage_sentence(coverage, horizon)
    if s:
        sentences.append(s)

    survival = {}
    for _, r in surv[surv["horizon"] == horizon].iterrows():
        survival[r["cohort"]] = {"share_pct": r["share_pct"], "cells": r["cells"],
                                 "at_risk": r["at_risk"], "ci_low": r["ci_low"],
                                 "ci_high": r["ci_high"]}
    sbits = [f"{fmt.percent(survival[k]['share_pct'])} số tổ {who}"
             for k, who in ((PILOT, "thí điểm"), ("rollout", "nhân rộng"))
             if k in survival and not _nan(survival[k]["share_pct"])]
    if sbits:
        sentences.append(f"Sau {horizon} tháng kể từ khi thành lập, " + " và ".join(sbits)
                         + " vẫn còn hoạt động (ước lượng Kaplan–Meier).")

    did, event = [], []
    if (panel is not None or result is not None) and indicator:
        if result is None:
            result = effects(scaled_panel(panel, cohorts, scale), cohorts, window,
                             anticipation)
        did = [e.as_dict() for e in result.estimates]
        event = result.event.to_dict("records")
        main = result.main()
        if main is not None:
            sentences.append(estimate_sentence(main, indicator, scale))
            pilot = result.by_cohort().get(PILOT)
            if pilot is not None and pilot is not main and not pilot.has_interval:
                sentences.append(estimate_sentence(pilot, indicator, scale))
            cohort_ests = [e for e in result.estimates
                           if e.cohort != ALL_STARTED and e.has_interval]
            if len(cohort_ests) > 1:
                sig = sum(1 for e in cohort_ests
                          if e.p_adjusted < config.get("eval_alpha"))
                sentences.append(f"Theo từng nhóm xã: {sig}/{len(cohort_ests)} nhóm có thay "
                                 "đổi khác 0 sau hiệu chỉnh cho nhiều nhóm (Holm).")
        else:
            sentences.append(f"Chỉ số «{indicator_label(indicator)}»: chưa đủ số liệu để so "
                             "sánh các xã đã bắt đầu với các xã chưa bắt đầu.")
    return {"as_of": data.as_of, "horizon": horizon, "indicator": indicator, "scale": scale,
            "cohorts": table.to_dict("records"),
            "communes": {"pilot": n_pilot, "rollout": int(len(roll)), "none": n_none,
                         "waves": int(n_waves)},
            "coverage_at_horizon": coverage, "survival_at_horizon": survival,
            "did": did, "event_study": event, "sentences": sentences}


def overview_base(data: EvalData) -> dict:
    """The parts of the overview that do not depend on the chart grouping: cohort table,
    figures after 6/12/24 months (per cohort and per phase), Kaplan–Meier by phase."""
    cohorts = data.cohorts
    history = with_months_since(data.history, data.as_of)     # once for every table
    return {"table": cohort_table(cohorts),
            "by_horizon": figures_at_horizons(history, cohorts, data.as_of, HORIZONS),
            "by_phase": figures_at_horizons(history, cohorts, data.as_of, HORIZONS,
                                            groups="phase"),
            "survival_phase": cell_survival(data.cells, phase_cohorts(cohorts), data.as_of)}


def overview_view(data: EvalData, view: str = "phase", base: dict | None = None) -> dict:
    """The charts' parts for one grouping (phase: pilot / rollout; cohort: every wave):
    ramp-up, Kaplan–Meier table and curves. `base`: overview_base() of these data (its
    Kaplan–Meier by phase is reused for view='phase')."""
    cohorts = data.cohorts
    groups = phase_cohorts(cohorts) if view == "phase" else cohorts
    if view == "phase":
        survival = (base or {}).get("survival_phase")
        if survival is None:
            survival = cell_survival(data.cells, groups, data.as_of)
    else:
        survival = cell_survival(data.cells, groups, data.as_of)
    return {"ramp": ramp_up(with_months_since(data.history, data.as_of), groups, data.as_of,
                            max_months=36),
            "survival": survival,
            "curves": survival_curves(data.cells, groups, data.as_of)}


def compute_overview(data: EvalData, view: str = "phase") -> dict:
    """Everything the page shows before the indicator section: cohort table, figures after
    6/12/24 months, ramp-up, Kaplan–Meier tables and curves (overview_base + overview_view;
    the page caches the two apart so that changing the grouping recomputes the second only)."""
    base = overview_base(data)
    return {**base, **overview_view(data, view, base)}


def slim(data: EvalData) -> EvalData:
    """The data without the per-month and per-cell rows (what findings() and the page read
    once the overview is computed): cheap to keep in a cache and to copy out of it."""
    return replace(data, history=data.history.iloc[:0], cells=data.cells.iloc[:0])


def default_indicator(indicators: pd.DataFrame) -> str | None:
    if indicators.empty:
        return None
    return str(indicators.sort_values(["rows", "indicator"], ascending=[False, True])
               ["indicator"].iloc[0])


def key_findings(db, as_of, communes=None, indicator: str | None = None, horizon: int = 12,
                 wave: str = "quarter", window: int | None = None,
                 anticipation: int | None = None, scale: str = "raw") -> dict:
    """Run the named queries and return findings() (for the meeting-pack export)."""
    data = load(db, as_of, communes, wave)
    indicator = indicator or default_indicator(data.indicators)
    panel = load_panel(db, as_of, indicator, communes) if indicator else None
    return findings(data, panel, indicator, horizon, window, anticipation, scale=scale)


# --------------------------------------------------------------------------------------------
# display tables
def estimates_table(ests: list[Estimate]) -> pd.DataFrame:
    """One row per estimate with both labels (canonical column names; see LABELS)."""
    rows = [{"cohort_label": e.cohort_label, "n_treated": e.n_treated, "n_control": e.n_control,
             "method": labels.METHOD_LABELS[e.method], "estimate": e.estimate,
             "ci_low": e.ci_low if e.has_interval else np.nan,
             "ci_high": e.ci_high if e.has_interval else np.nan,
             "p_value": e.p_value, "p_adjusted": e.p_adjusted,
             "before_mean": e.before_mean, "after_mean": e.after_mean,
             "control_before_mean": e.control_before_mean,
             "control_after_mean": e.control_after_mean,
             "pre_months": e.pre_months, "missing_pct": round(100 * e.missing_share, 1),
             "pretrend_p": e.pretrend_p, "design": e.design["label"],
             "evidence": e.evidence["label"], "evidence_text": e.evidence["text"]}
            for e in ests]
    cols = ["cohort_label", "n_treated", "n_control", "method", "estimate", "ci_low", "ci_high",
            "p_value", "p_adjusted", "before_mean", "after_mean", "control_before_mean",
            "control_after_mean", "pre_months", "missing_pct", "pretrend_p", "design",
            "evidence", "evidence_text"]
    return pd.DataFrame(rows, columns=cols)


LABELS = {
    "cohort_label": "Nhóm xã", "first_start": "Xã đầu tiên bắt đầu",
    "last_start": "Xã cuối cùng bắt đầu", "communes": "Số xã", "cells": "Số tổ",
    "members": "Thành viên", "members_per_cell": "Thành viên/tổ", "households": "Số hộ",
    "households_covered": "Hộ được phụ trách", "coverage_pct": "Độ phủ (%)",
    "households_per_member": "Hộ/thành viên", "coverage_ci_low": "Độ phủ – KTC 95% thấp",
    "coverage_ci_high": "Độ phủ – KTC 95% cao", "interval_note": "Ghi chú khoảng tin cậy",
    "communes_listed": "Các xã đã đủ số tháng",
    "horizon": "Số tháng sau khi bắt đầu", "months_since": "Số tháng kể từ khi bắt đầu",
    "median": "Độ phủ trung vị (%)", "p25": "Phân vị 25 (%)", "p75": "Phân vị 75 (%)",
    "ended": "Số tổ đã giải thể", "at_risk": "Số tổ còn theo dõi tại mốc",
    "share_pct": "Tỷ lệ còn hoạt động (%, Kaplan–Meier)",
    "n_treated": "Số xã đã bắt đầu", "n_control": "Số xã đối chứng (chưa bắt đầu)",
    "method": "Cách suy luận",
    "before_mean": "Trước khi bắt đầu (TB/tháng)", "after_mean": "Sau khi bắt đầu (TB/tháng)",
    "control_before_mean": "Xã đối chứng – trước", "control_after_mean": "Xã đối chứng – sau",
    "estimate": "Ước lượng", "ci_low": "KTC 95% thấp", "ci_high": "KTC 95% cao",
    "p_value": "Giá trị p", "p_adjusted": "p hiệu chỉnh (Holm)",
    "pre_months": "Số tháng số liệu trước khi bắt đầu", "missing_pct": "Tháng thiếu số liệu (%)",
    "pretrend_p": "p kiểm định chung các tháng trước", "design": "Chất lượng thiết kế",
    "evidence": "Mức bằng chứng", "evidence_text": "Giải thích mức bằng chứng",
    "label": "Tháng so với tháng bắt đầu", "month": "Số tháng kể từ khi thành lập",
}


METHOD_TEXT = """\
**Cách tính.**
- *Nhóm xã*: xã **thí điểm** là xã có ít nhất một tổ thí điểm; các xã **nhân rộng** được chia
  thành đợt theo quý (hoặc năm) thành lập tổ đầu tiên; xã **chưa bắt đầu** là xã chưa có tổ
  nào tính đến ngày đã chọn. Ngày bắt đầu của xã là ngày thành lập tổ đầu tiên.
- *Sau k tháng*: số liệu của xã tại cuối tháng thứ k kể từ tháng bắt đầu (tháng bắt đầu là
  tháng 0); chỉ tính các xã đã đủ k tháng trọn vẹn (danh sách xã có trong bảng). Độ phủ = hộ
  được phụ trách / tổng số hộ của các xã; khoảng tin cậy 95% theo phương pháp tuyến tính hóa
  tỷ số với phân phối t (số xã − 1 bậc tự do); dưới {n_min} xã không tính khoảng tin cậy.
- *Tổ còn hoạt động*: ước lượng Kaplan–Meier theo thời gian từ ngày thành lập (tổ chưa giải
  thể được theo dõi đến ngày đã chọn), kèm số tổ còn được theo dõi tại mỗi mốc; khoảng tin
  cậy 95% bằng bootstrap lấy mẫu lại theo xã.
- *Tác động lên chỉ số*: phương pháp Callaway–Sant'Anna. Với các xã bắt đầu cùng một tháng,
  so sánh thay đổi của chỉ số từ tháng mốc (tháng trước khi bắt đầu{ant_base}) đến từng tháng
  sau đó với thay đổi cùng kỳ của các xã **chưa bắt đầu** (các đợt sau và xã chưa có tổ). Xã
  đã bắt đầu không bao giờ làm đối chứng. **Ước lượng là {estimand}**, trung bình theo xã
  (mỗi xã một trọng số như nhau). Cách này không bị sai lệch khi tác động khác nhau giữa các
  đợt hoặc tăng dần theo thời gian — điều hồi quy hai chiều cố định thông thường mắc phải.
  Mỗi so sánh là hiệu hai trung bình, kiểm tra lại được bằng tay.{ant_text}
- *Khoảng tin cậy và giá trị p phụ thuộc số xã đã bắt đầu*: dưới {n_min} xã — **không tính**,
  chỉ mô tả trước/sau (với 2–4 xã, khoảng tin cậy thông thường hẹp sai lệch); từ {n_min} đến
  {n_boot_1} xã — **suy luận hoán vị**: gán ngẫu nhiên lại tháng bắt đầu cho các xã
  {n_perm} lần và tính lại toàn bộ (khoảng tin cậy: các giá trị tác động mà kiểm định không bác
  bỏ, giả định tác động như nhau giữa các xã); từ {n_boot} xã — **bootstrap hoang dã theo xã**
  (trọng số Webb, {n_draws} lần, hiệu chỉnh mẫu nhỏ theo phân phối t). Khi có nhiều nhóm xã,
  giá trị p được hiệu chỉnh Holm. Cách gán ngẫu nhiên coi như xã nào bắt đầu trước là ngẫu
  nhiên; nếu xã thí điểm được chọn vì đã làm tốt từ trước, không phương pháp nào sửa được.
- *Nghiên cứu sự kiện*: cùng phương pháp, từng tháng so với tháng bắt đầu; hai đầu là nhóm
  gộp «≤ −k» (mọi tháng từ k tháng trước trở về trước) và «≥ +k». Kiểm định chung mọi tháng
  trước khi bắt đầu: các điểm đó phải cùng quanh 0.
- *Chất lượng thiết kế* (tốt / trung bình / yếu): số xã mỗi bên (≥ {good_n} là tốt, dưới
  {fair_n} là yếu), số tháng số liệu trước khi bắt đầu (≥ {good_pre} / dưới {fair_pre}), tỷ lệ
  tháng thiếu (≤ {good_miss} / trên {fair_miss}) và kiểm định chung các tháng trước (p ≥ {pass_p}
  là đạt, dưới {fail_p} là không đạt). Kiểm định này có độ nhạy thấp khi ít xã: «đạt» không
  chứng minh hai nhóm đi song song.
- *Mức bằng chứng về tác động* (tách riêng với thiết kế): **mạnh** khi khoảng tin cậy không
  chứa 0 (p sau hiệu chỉnh < {alpha}), kiểm định các tháng trước đạt, các nhóm xã cho cùng kết
  luận và thiết kế không yếu; **vừa** hoặc **yếu** khi khoảng tin cậy không chứa 0 nhưng thiếu
  một trong các điều kiện đó; **không có bằng chứng** khi khoảng tin cậy chứa 0; **chưa đủ xã
  để kết luận** khi dưới {n_min} xã.
"""


def method_text(window: int = 12, anticipation: int = 0, scale: str = "raw") -> str:
    pct = lambda v: fmt.percent(100 * v, 0)  # noqa: E731
    n_boot = config.get("eval_min_communes_bootstrap")
    return METHOD_TEXT.format(
        estimand=estimand(window, scale),
        ant_base=(f" và {anticipation} tháng dự kiến" if anticipation else ""),
        ant_text=(f" {anticipation} tháng ngay trước khi bắt đầu được bỏ ra (xã có thể đã "
                  "thay đổi từ trước khi lập tổ)." if anticipation else ""),
        n_min=config.get("eval_min_communes_inference"), n_boot=n_boot, n_boot_1=n_boot - 1,
        n_perm=fmt.number(config.get("eval_permutations")),
        n_draws=fmt.number(config.get("eval_bootstrap_draws")),
        good_n=config.get("eval_design_communes_good"),
        fair_n=config.get("eval_design_communes_fair"),
        good_pre=config.get("eval_design_pre_months_good"),
        fair_pre=config.get("eval_design_pre_months_fair"),
        good_miss=pct(config.get("eval_design_missing_good")),
        fair_miss=pct(config.get("eval_design_missing_fair")),
        pass_p=fmt.fixed(config.get("eval_pretrend_pass_p"), 2),
        fail_p=fmt.fixed(config.get("eval_pretrend_fail_p"), 2),
        alpha=fmt.fixed(config.get("eval_alpha"), 2))
