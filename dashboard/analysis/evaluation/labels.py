"""Two separate labels, from the same numbers as the prose that explains them.

- Design quality (chất lượng thiết kế): can this comparison be trusted at all? communes on
  each side, months of data before the start, missing months, the joint pre-trend test (whose
  power is low with few communes: passing it does not prove the trends were parallel).
- Evidence of an effect (mức bằng chứng): does the estimate show an effect? "mạnh" needs a
  valid interval that excludes 0 (Holm-adjusted p below alpha across cohorts), a passing
  joint pre-trend test, agreement across cohorts and a design that is not weak. "không có
  bằng chứng" is an answer in its own right.
Every threshold is a Setting (dashboard/config.py, group evaluation).
"""
from __future__ import annotations

import math

from dashboard import config
from dashboard.i18n import fmt

DESIGN_LABELS = {"good": "Thiết kế tốt", "fair": "Thiết kế trung bình", "poor": "Thiết kế yếu"}
EVIDENCE_LABELS = {
    "strong": "Bằng chứng mạnh",
    "moderate": "Bằng chứng vừa",
    "weak": "Bằng chứng yếu",
    "none": "Không có bằng chứng về tác động",
    "insufficient": "Chưa đủ xã để kết luận",
}
POWER_NOTE = ("Kiểm định xu hướng trước có độ nhạy thấp khi ít xã: «đạt» chỉ có nghĩa là "
              "chưa phát hiện khác biệt, không chứng minh hai nhóm đã đi song song.")
METHOD_LABELS = {
    "descriptive": "mô tả (không có khoảng tin cậy)",
    "permutation": "suy luận hoán vị (randomisation inference)",
    "bootstrap": "bootstrap hoang dã theo xã (trọng số Webb)",
}


def _nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _p(p: float) -> str:
    return "<0,001" if p < 0.001 else fmt.fixed(p, 3)


def design_quality(n_treated: int, n_control: int, pre_months: float, missing_share: float,
                   pretrend_p: float) -> dict:
    """Grade (good/fair/poor = the worst criterion), label and the reasons in Vietnamese."""
    good_n, fair_n = config.get("eval_design_communes_good"), config.get(
        "eval_design_communes_fair")
    good_pre, fair_pre = config.get("eval_design_pre_months_good"), config.get(
        "eval_design_pre_months_fair")
    good_miss, fair_miss = config.get("eval_design_missing_good"), config.get(
        "eval_design_missing_fair")
    pass_p, fail_p = config.get("eval_pretrend_pass_p"), config.get("eval_pretrend_fail_p")
    poor, fair = [], []
    for n, who in ((n_treated, "xã đã bắt đầu"), (n_control, "xã đối chứng")):
        if n < fair_n:
            poor.append(f"chỉ {n} {who} (cần ít nhất {fair_n})")
        elif n < good_n:
            fair.append(f"{n} {who} (dưới {good_n})")
    if pre_months < fair_pre:
        poor.append(f"chỉ {fmt.number(pre_months, 1)} tháng số liệu trước khi bắt đầu")
    elif pre_months < good_pre:
        fair.append(f"{fmt.number(pre_months, 1)} tháng số liệu trước khi bắt đầu "
                    f"(dưới {good_pre})")
    if missing_share > fair_miss:
        poor.append(f"thiếu {fmt.percent(100 * missing_share)} số tháng")
    elif missing_share > good_miss:
        fair.append(f"thiếu {fmt.percent(100 * missing_share)} số tháng "
                    f"(trên {fmt.percent(100 * good_miss)})")
    if _nan(pretrend_p):
        trend = "không kiểm định được xu hướng trước khi bắt đầu"
        poor.append(trend)
        passes = None
    elif pretrend_p < fail_p:
        trend = f"kiểm định chung các tháng trước khi bắt đầu không đạt (p = {_p(pretrend_p)})"
        poor.append("các tháng trước khi bắt đầu đã khác nhóm đối chứng")
        passes = False
    elif pretrend_p < pass_p:
        trend = f"kiểm định chung các tháng trước khi bắt đầu gần không đạt (p = {_p(pretrend_p)})"
        fair.append(f"kiểm định xu hướng trước gần không đạt (p < {fmt.fixed(pass_p, 2)})")
        passes = False
    else:
        trend = f"kiểm định chung các tháng trước khi bắt đầu đạt (p = {_p(pretrend_p)})"
        passes = True
    grade = "poor" if poor else ("fair" if fair else "good")
    facts = (f"{n_treated} xã đã bắt đầu so với {n_control} xã đối chứng (chưa bắt đầu tại "
             "tháng so sánh); "
             f"{fmt.number(pre_months, 1)} tháng số liệu trước khi bắt đầu (trung vị); "
             f"thiếu {fmt.percent(100 * missing_share)} số tháng; {trend}")
    reasons = poor or fair
    text = f"{DESIGN_LABELS[grade]}: {facts}."
    if reasons:
        text += " Lý do: " + "; ".join(reasons) + "."
    text += " " + POWER_NOTE
    return {"grade": grade, "label": DESIGN_LABELS[grade], "text": text,
            "pretrend_passes": passes, "reasons": reasons}


def evidence(method: str, estimate: float, p_adjusted: float, pretrend_p: float,
             agreement: bool | None, design_grade: str, n_treated: int,
             adjusted: bool = False) -> dict:
    """Evidence of an effect, with the reasons in plain Vietnamese."""
    alpha = config.get("eval_alpha")
    pass_p, fail_p = config.get("eval_pretrend_pass_p"), config.get("eval_pretrend_fail_p")
    level = fmt.percent(100 * (1 - alpha), 0)
    adj = " (đã hiệu chỉnh Holm cho nhiều nhóm)" if adjusted else ""
    if method == "descriptive" or _nan(estimate):
        n_min = config.get("eval_min_communes_inference")
        grade = "insufficient"
        text = (f"{EVIDENCE_LABELS[grade]}: chỉ {n_treated} xã đã bắt đầu (cần ít nhất "
                f"{n_min}), nên không tính khoảng tin cậy hay giá trị p — với chừng ấy xã, "
                "một khoảng tin cậy sẽ hẹp một cách sai lệch. Chỉ mô tả trước/sau.")
        return {"grade": grade, "label": EVIDENCE_LABELS[grade], "text": text, "reasons": []}
    if _nan(p_adjusted) or p_adjusted >= alpha:
        grade = "none"
        ptxt = "" if _nan(p_adjusted) else f" (p = {_p(p_adjusted)}{adj})"
        text = (f"{EVIDENCE_LABELS[grade]}: khoảng tin cậy {level} chứa 0{ptxt} — số liệu "
                "không phân biệt được thay đổi này với dao động ngẫu nhiên. Không có nghĩa là "
                "chắc chắn không có tác động.")
        return {"grade": grade, "label": EVIDENCE_LABELS[grade], "text": text, "reasons": []}
    weak, moderate = [], []
    if _nan(pretrend_p):
        weak.append("không kiểm định được xu hướng trước khi bắt đầu")
    elif pretrend_p < fail_p:
        weak.append("các tháng trước khi bắt đầu đã khác nhóm đối chứng")
    elif pretrend_p < pass_p:
        moderate.append("kiểm định xu hướng trước gần không đạt")
    if agreement is False:
        weak.append("các nhóm xã không cho cùng một kết luận")
    elif agreement is None:
        moderate.append("không đủ nhóm xã để kiểm tra các nhóm có cùng kết luận")
    if design_grade == "poor":
        weak.append("thiết kế so sánh yếu")
    grade = "weak" if weak else ("moderate" if moderate else "strong")
    text = (f"{EVIDENCE_LABELS[grade]}: khoảng tin cậy {level} không chứa 0 "
            f"(p = {_p(p_adjusted)}{adj})")
    if grade == "strong":
        text += ", kiểm định xu hướng trước đạt và các nhóm xã cho cùng kết luận."
    else:
        text += "; nhưng " + "; ".join(weak or moderate) + "."
    return {"grade": grade, "label": EVIDENCE_LABELS[grade], "text": text,
            "reasons": weak or moderate}


def agreement(sign: float, others: list[tuple[float, float]]) -> bool | None:
    """Do the cohorts agree with an estimate of this sign? others: (estimate, adjusted p) of
    every cohort with valid inference. None when fewer than two can be compared."""
    alpha = config.get("eval_alpha")
    share = config.get("eval_agreement_share")
    pts = [(e, p) for e, p in others if not _nan(e)]
    if len(pts) < 2 or sign == 0 or _nan(sign):
        return None
    s = 1 if sign > 0 else -1
    if any(p < alpha and e * s < 0 for e, p in pts if not _nan(p)):
        return False
    return sum(1 for e, _ in pts if e * s > 0) / len(pts) >= share
