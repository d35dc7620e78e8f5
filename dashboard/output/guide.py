"""«Hướng dẫn»: every metric, norm and method in plain Vietnamese, with its formula and a
worked example computed by the product's own code on a tiny example province.

Nothing here is a hard-coded result: the example's inputs (EXAMPLE_UNITS, EXAMPLE_CELLS,
EXAMPLE_MODELS) are imported into a private in-memory database through the ordinary import
code, and every figure of the examples comes from the named queries (the section-4 macros),
from dashboard/analysis (planner, evaluation) or from dashboard/config.py (norms). The page
(pages/guide.py) only draws it; KPI cards link here with `help_link(topic)`.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from dashboard import config
from dashboard.i18n import fmt

PAGE_URL = "huong-dan"   # url path of pages/guide.py in web/navigation.PAGES
EXAMPLE_AS_OF = dt.date(2024, 6, 30)

EXAMPLE_UNITS = """Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ
99,Tỉnh Ví dụ,Tỉnh,,
99001,Xã Ví dụ,Xã,99,
99001-D,Thôn Đông,Thôn,99001,100
99001-T,Thôn Tây,Thôn,99001,50
"""
EXAMPLE_CELLS = """Mã tổ,Tên tổ,Mã thôn/xã,Giai đoạn,Ngày thành lập,Ngày giải thể,Số thành viên,Số hộ phụ trách
T1,Tổ Đông 1,99001-D,Thí điểm,10/01/2024,,6,40
T2,Tổ Đông 2,99001-D,Nhân rộng,01/05/2024,,5,70
T3,Tổ Tây 1,99001-T,Nhân rộng,01/03/2024,30/06/2024,5,30
T4,Tổ của xã,99001,Nhân rộng,01/02/2024,,5,20
T5,Tổ Tây 2,99001-T,Nhân rộng,01/07/2024,,6,35
"""
EXAMPLE_MODELS = """Mã mô hình,Tên mô hình,Lĩnh vực,Cấp,Mã đơn vị,Ngày bắt đầu
M1,Camera giám sát ANTT,Quốc phòng – an ninh,Xã,99001,01/05/2023
M2,Mỗi tuần một khu phố,Văn hóa – xã hội,Xã,99001,01/08/2024
"""


@dataclass(frozen=True)
class Topic:
    key: str          # anchor: huong-dan?muc=<key>
    group: str        # "Chỉ số", "Định mức", "Phương pháp"
    title: str
    text: str         # plain Vietnamese
    formula: str      # plain text formula
    example: str      # worked example, computed
    source: str = ""  # where the code defines it


@lru_cache(maxsize=1)
def example() -> dict:
    """The tiny example province, imported and queried by the product's own code."""
    import tempfile
    from pathlib import Path

    from dashboard import ingest, store
    from dashboard.store import queries

    folder = tempfile.TemporaryDirectory(prefix="huong_dan_")   # its archive goes with it
    db = store.Database(Path(folder.name) / "vi_du.duckdb")
    try:
        from dashboard.access import LOCAL, context

        # the example province is the guide's own throwaway database: written as its owner
        # whoever reads the guide (a viewer may read it), and never audited in the user's data
        with context.acting(LOCAL, "huong-dan"):
            for name, text in (("units", EXAMPLE_UNITS), ("cells", EXAMPLE_CELLS),
                               ("models", EXAMPLE_MODELS)):
                report = ingest.import_bytes(db, name, text.encode("utf-8"),
                                             f"vi_du_{name}.csv")
                if not report.committed:
                    raise RuntimeError(report.summary_text())
        p = {"as_of": EXAMPLE_AS_OF}
        early = EXAMPLE_AS_OF.replace(month=1, day=5)
        return {
            "cells": pd.read_csv(io.StringIO(EXAMPLE_CELLS), dtype=str),
            "active": queries.run(db, "coverage_cells", p),
            "villages": queries.run(db, "coverage_by_unit", {**p, "level": "village"}),
            "commune": queries.run(db, "coverage_by_unit", {**p, "level": "commune"}).iloc[0],
            "kpi": queries.run(db, "kpi_overview", p).iloc[0],
            "phase": queries.run(db, "filter_communes", p).iloc[0],
            "phase_early": queries.run(db, "filter_communes", {"as_of": early}).iloc[0],
            "early": early,
        }
    finally:
        db.close()
        folder.cleanup()


def _n(v, d: int = 0) -> str:
    return fmt.number(v, d)


def metric_topics() -> list[Topic]:
    """The metric definitions (docs/data-contract.md), each with its example from the named
    queries."""
    ex = example()
    d = fmt.date(EXAMPLE_AS_OF)
    cells = ex["cells"]
    active = set(ex["active"].cell_id)
    v = ex["villages"].set_index("unit_code")
    c, k = ex["commune"], ex["kpi"]
    east, west = v.loc["99001-D"], v.loc["99001-T"]
    east_raw = int(ex["active"].query("unit_code == '99001-D'").households_covered.sum())
    direct = ex["active"].query("unit_level == 'commune'")
    listed = "; ".join(
        f"{r['Mã tổ']} (thành lập {r['Ngày thành lập']}"
        + (f", giải thể {r['Ngày giải thể']}" if isinstance(r["Ngày giải thể"], str) else "")
        + ("): đang hoạt động" if r["Mã tổ"] in active else "): không tính")
        for _, r in cells.iterrows())
    return [
        Topic("active_cells", "Chỉ số", "Tổ đang hoạt động",
              "Một tổ được tính là đang hoạt động tại ngày D khi đã thành lập vào hoặc trước ngày "
              "D và chưa giải thể (không có ngày giải thể, hoặc ngày giải thể sau ngày D). Tổ giải "
              "thể đúng ngày D không còn được tính.",
              "ngày thành lập ≤ D và (ngày giải thể trống hoặc ngày giải thể > D)",
              f"Tại ngày {d}: {listed}. Có {_n(len(active))} tổ đang hoạt động.",
              "store/sql/_macros.sql: active_cells"),
        Topic("village_covered", "Chỉ số", "Hộ được phụ trách của một thôn",
              "Cộng số hộ phụ trách của các tổ đang hoạt động trong thôn, nhưng không vượt quá số "
              "hộ của thôn (hai tổ cùng phụ trách một hộ không làm hộ đó thành hai).",
              "hộ được phụ trách của thôn = min(Σ số hộ phụ trách của tổ đang hoạt động, số hộ "
              "của thôn)",
              f"Thôn Đông có {_n(east.households)} hộ; các tổ đang hoạt động phụ trách cộng lại "
              f"{_n(east_raw)} hộ, nên thôn được tính {_n(east.households_covered)} hộ. Thôn Tây "
              f"có {_n(west.households)} hộ và {_n(west.cells)} tổ đang hoạt động: "
              f"{_n(west.households_covered)} hộ.",
              "store/sql/_macros.sql: village_coverage"),
        Topic("commune_households", "Chỉ số", "Số hộ và hộ được phụ trách của một xã",
              "Số hộ của xã là tổng số hộ các thôn của xã (khi xã có thôn), nếu không thì là số hộ "
              "ghi cho chính xã. Hộ được phụ trách của xã cộng các thôn (đã giới hạn theo từng "
              "thôn) với các tổ gắn trực tiếp vào xã, và không vượt quá số hộ của xã.",
              "hộ được phụ trách của xã = min(Σ hộ được phụ trách của các thôn + Σ số hộ phụ "
              "trách của tổ gắn trực tiếp vào xã, số hộ của xã)",
              f"Xã Ví dụ: {_n(east.households)} + {_n(west.households)} = {_n(c.households)} hộ. "
              f"Được phụ trách: {_n(east.households_covered)} + {_n(west.households_covered)} + "
              f"{_n(direct.households_covered.sum())} (tổ gắn trực tiếp vào xã) = "
              f"{_n(c.households_covered)} hộ.",
              "store/sql/_macros.sql: commune_coverage"),
        Topic("coverage_pct", "Chỉ số", "Độ phủ hộ gia đình",
              "Tỷ lệ hộ đã có tổ phụ trách trên tổng số hộ, tính đến ngày đã chọn. Đơn vị không "
              "có hộ nào có độ phủ 0 %. Cấp tỉnh cộng số hộ và hộ được phụ trách của các xã rồi "
              "mới chia (không lấy trung bình độ phủ các xã).",
              "độ phủ (%) = 100 × hộ được phụ trách / số hộ (bằng 0 khi số hộ bằng 0)",
              f"Xã Ví dụ: 100 × {_n(c.households_covered)} / {_n(c.households)} = "
              f"{fmt.percent(c.coverage_pct)}.",
              "store/sql/_macros.sql: coverage_pct"),
        Topic("uncovered_households", "Chỉ số", "Hộ chưa có tổ phụ trách",
              "Số hộ còn lại chưa có tổ nào phụ trách.",
              "hộ chưa có tổ phụ trách = số hộ − hộ được phụ trách",
              f"Xã Ví dụ: {_n(c.households)} − {_n(c.households_covered)} = "
              f"{_n(c.uncovered_households)} hộ.",
              "store/sql/coverage_by_unit.sql"),
        Topic("per_cell", "Chỉ số", "Thành viên mỗi tổ, hộ mỗi tổ, hộ mỗi thành viên",
              "Quy mô trung bình của các tổ đang hoạt động. Các tỷ số này dùng tổng chưa giới hạn "
              "(số hộ phụ trách đúng như các tổ khai).",
              "thành viên/tổ = Σ thành viên / số tổ; hộ/tổ = Σ số hộ phụ trách / số tổ; "
              "hộ/thành viên = Σ số hộ phụ trách / Σ thành viên",
              f"Xã Ví dụ có {_n(k.cells)} tổ đang hoạt động, {_n(k.members)} thành viên, phụ "
              f"trách cộng lại {_n(ex['active'].households_covered.sum())} hộ: "
              f"{_n(k.members / k.cells, 2)} thành viên/tổ; {_n(c.households_per_cell, 2)} "
              f"hộ/tổ; {_n(c.households_per_member, 2)} hộ/thành viên.",
              "store/sql/coverage_by_unit.sql, pilot_vs_rollout.sql"),
        Topic("commune_phase", "Chỉ số", "Giai đoạn của xã (thí điểm, nhân rộng, chưa có tổ)",
              "Xét các tổ của xã đã thành lập đến ngày D (kể cả tổ đã giải thể): xã là thí điểm "
              "nếu có ít nhất một tổ thí điểm; là nhân rộng nếu có tổ nhưng không có tổ thí điểm; "
              "là chưa có tổ nếu chưa có tổ nào. Ngày bắt đầu của xã là ngày thành lập tổ sớm "
              "nhất. Vì vậy ở một ngày trong quá khứ, xã chưa bắt đầu thì là «chưa có tổ».",
              "giai đoạn = thí điểm nếu có tổ thí điểm thành lập ≤ D; nếu không, nhân rộng nếu có "
              "tổ thành lập ≤ D; nếu không, chưa có tổ",
              f"Xã Ví dụ tại {d}: {_phase(ex['phase'].phase)}; tại {fmt.date(ex['early'])} (trước "
              f"tổ đầu tiên): {_phase(ex['phase_early'].phase)}.",
              "store/sql/_macros.sql: commune_phase"),
        Topic("models", "Chỉ số", "Mô hình đã đăng ký và đang hoạt động",
              "«Số mô hình» đếm mọi mô hình đã đăng ký; «mô hình đang hoạt động» đếm các mô hình đã "
              "bắt đầu đến ngày D và chưa kết thúc.",
              "đang hoạt động = ngày bắt đầu ≤ D và (ngày kết thúc trống hoặc > D)",
              f"Xã Ví dụ có {_n(k.models)} mô hình; tại {d} có {_n(k.active_models)} mô hình đang "
              "hoạt động (mô hình còn lại bắt đầu sau ngày đó).",
              "store/sql/kpi_overview.sql"),
        Topic("levels", "Chỉ số", "Cấp tỉnh và các lựa chọn nhiều xã",
              "Số liệu của tỉnh (hoặc của các xã được chọn trong bộ lọc) là tổng của các xã: cộng "
              "số hộ, hộ được phụ trách, số tổ, thành viên; độ phủ tính lại từ các tổng.",
              "số liệu tỉnh = Σ số liệu các xã; độ phủ tỉnh = 100 × Σ hộ được phụ trách / Σ số hộ",
              f"Tỉnh Ví dụ có {_n(k.communes)} xã: {_n(k.households_covered)} / "
              f"{_n(k.households)} hộ = {fmt.percent(k.coverage_pct)}.",
              "store/sql/kpi_overview.sql"),
    ]


def _phase(code: str) -> str:
    return {"pilot": "thí điểm", "rollout": "nhân rộng", "none": "chưa có tổ"}.get(code, code)


# norms: setting name -> (title, plain Vietnamese meaning); values from dashboard/config.py
NORMS = {
    "households_per_cell": ("Số hộ mỗi tổ phụ trách (định mức)",
                            "Một tổ thường phụ trách khoảng chừng ấy hộ. Dùng để tính số tổ cần "
                            "lập thêm và để đánh dấu tổ phụ trách nhiều hơn định mức."),
    "members_min": ("Số thành viên ít nhất của một tổ",
                    "Tổ có ít thành viên hơn được nêu trong phân bố «ít hơn thường lệ»."),
    "members_max": ("Số thành viên nhiều nhất của một tổ",
                    "Tổ có nhiều thành viên hơn được nêu trong phân bố «nhiều hơn thường lệ»."),
    "target_coverage_pct": ("Mục tiêu độ phủ (mặc định của kế hoạch)",
                            "Tỷ lệ hộ cần có tổ phụ trách; người dùng đổi được trên trang Độ phủ."),
    "overload_households": ("Ngưỡng tổ quá tải",
                            "Tổ phụ trách nhiều hộ hơn ngưỡng này được liệt kê để xem xét chia tổ."),
    "good_coverage_pct": ("Ngưỡng độ phủ tốt",
                          "Xã đạt độ phủ từ ngưỡng này trở lên được trang chiếu gọi là «độ phủ tốt»."),
    "top_gaps": ("Số xã khoảng trống lớn nhất được nêu",
                 "Số xã có nhiều hộ chưa có tổ nhất được liệt kê trong trang chiếu và báo cáo."),
    "evaluation_horizons": ("Các mốc so sánh sau khi bắt đầu",
                            "Số tháng kể từ khi xã bắt đầu, tại đó độ phủ của các nhóm xã được so "
                            "sánh với nhau."),
}


def _setting_value(name: str) -> str:
    s = config.setting(name)
    v = config.get(name)
    unit = {"households": "hộ", "members": "thành viên", "%": "%", "communes": "xã",
            "months": "tháng"}.get(s.unit, s.unit)
    if isinstance(v, (tuple, list)):
        return ", ".join(_n(x) for x in v) + f" {unit}"
    return f"{_n(v, 1 if isinstance(v, float) and not float(v).is_integer() else 0)} {unit}" \
        if unit != "%" else fmt.percent(v, 0)


def norm_topics() -> list[Topic]:
    ex = example()
    c = ex["commune"]
    per_cell = config.get("households_per_cell")
    over = config.get("overload_households")
    active = ex["active"]
    topics = []
    for name, (title, text) in NORMS.items():
        example_text = ""
        if name == "households_per_cell":
            n = int((active.households_covered > per_cell).sum())
            example_text = (f"Trong ví dụ, {_n(n)} trong {_n(len(active))} tổ đang hoạt động phụ "
                            f"trách hơn {_n(per_cell)} hộ.")
        elif name == "overload_households":
            n = int((active.households_covered > over).sum())
            example_text = (f"Trong ví dụ, {_n(n)} tổ phụ trách hơn {_n(over)} hộ "
                            f"(tổ lớn nhất: {_n(active.households_covered.max())} hộ).")
        elif name == "good_coverage_pct":
            good = c.coverage_pct >= config.get(name)
            example_text = (f"Xã Ví dụ ({fmt.percent(c.coverage_pct)}) "
                            + ("đạt" if good else "chưa đạt") + " ngưỡng này.")
        topics.append(Topic(f"norm_{name}", "Định mức", title,
                            text + f" Giá trị đang dùng: {_setting_value(name)}.",
                            f"{name} = {_setting_value(name)} (dashboard/config.py"
                            + (f", biến môi trường {config.setting(name).env}"
                               if config.setting(name).env else "") + ")",
                            example_text, "dashboard/config.py"))
    return topics


def method_topics() -> list[Topic]:
    from dashboard.analysis import evaluation, planner

    ex = example()
    c = ex["commune"]
    target = config.get("target_coverage_pct")
    per_cell = config.get("households_per_cell")
    short, new = planner.new_cells_needed(int(c.households), int(c.households_covered), target,
                                          per_cell)
    need = planner.target_covered(int(c.households), target)
    covered, households = [120, 30, 45, 80, 60, 90], [150, 60, 50, 200, 100, 120]
    lo, hi = evaluation.ratio_interval(covered, households)
    point = 100 * sum(covered) / sum(households)
    key, label, _ = evaluation.wave_of(dt.date(2024, 5, 20))
    did = _did_example(evaluation)
    out = [
        Topic("planner", "Phương pháp", "Số tổ cần thành lập thêm",
              "Với một mục tiêu độ phủ, số hộ cần phụ trách là mục tiêu nhân số hộ (làm tròn lên). "
              "Phần còn thiếu chia cho định mức số hộ mỗi tổ, làm tròn lên, là số tổ cần lập. "
              "Tổ được lập ở thôn, nên số tổ của xã là tổng số tổ cần lập của các thôn.",
              "hộ còn thiếu = max(0, ⌈mục tiêu % × số hộ⌉ − hộ được phụ trách); số tổ cần lập = "
              "⌈hộ còn thiếu / số hộ mỗi tổ⌉",
              f"Xã Ví dụ, mục tiêu {fmt.percent(target, 0)}: cần {_n(need)} hộ, đã có "
              f"{_n(c.households_covered)}, còn thiếu {_n(short)} hộ; với {_n(per_cell)} hộ mỗi "
              f"tổ: ⌈{_n(short)} / {_n(per_cell)}⌉ = {_n(new)} tổ.",
              "analysis/planner.py: new_cells_needed"),
        Topic("cohorts", "Phương pháp", "Nhóm xã theo đợt",
              "Xã được xếp vào nhóm thí điểm, hoặc vào đợt nhân rộng theo quý (hay năm) của ngày "
              "bắt đầu, để so sánh các xã cùng thời gian triển khai.",
              "đợt = quý (hoặc năm) của ngày thành lập tổ đầu tiên của xã",
              f"Một xã có tổ đầu tiên thành lập ngày 20/05/2024 thuộc «{label}».",
              "analysis/evaluation.py: wave_of"),
        Topic("ratio_ci", "Phương pháp", "Khoảng tin cậy của độ phủ một nhóm xã",
              "Độ phủ của nhóm là tổng hộ được phụ trách chia tổng số hộ. Khoảng tin cậy 95 % "
              "tính theo phương pháp tuyến tính hóa tỷ số với phân phối Student n − 1 bậc tự do "
              f"(n = số xã); dưới {_n(config.get('eval_min_communes_inference'))} xã thì không "
              "tính khoảng, vì khoảng sẽ hẹp một cách sai lệch.",
              "độ phủ nhóm r = Σ hộ được phụ trách / Σ số hộ; sai số = √(n/(n−1) · Σ (phụ trách "
              "− r × số hộ)²) / Σ số hộ; khoảng = r ± t(n−1) × sai số",
              f"Sáu xã phụ trách {', '.join(_n(x) for x in covered)} trên "
              f"{', '.join(_n(x) for x in households)} hộ: độ phủ nhóm {fmt.percent(point)}, "
              f"khoảng tin cậy 95 % từ {fmt.percent(lo)} đến {fmt.percent(hi)}.",
              "analysis/evaluation/coverage.py: ratio_interval"),
    ]
    did_topic = [
        Topic("did", "Phương pháp", "Tác động ước lượng (khác biệt kép theo đợt)",
              "Với mỗi đợt xã bắt đầu cùng tháng, so sánh mức thay đổi của chỉ số (so với tháng "
              "trước khi bắt đầu) ở các xã của đợt với mức thay đổi cùng kỳ ở các xã chưa bắt "
              "đầu (Callaway–Sant'Anna). Các tháng và các đợt được gộp với trọng số theo số xã. "
              "Khoảng tin cậy theo số xã: ít hơn 5 xã thì chỉ mô tả trước/sau; 5–9 xã dùng kiểm "
              "định hoán vị; từ 10 xã dùng bootstrap theo cụm xã.",
              "tác động đợt g ở tháng t = (Y[g,t] − Y[g,g−1]) của xã đợt g − (Y[t] − Y[g−1]) của "
              "xã chưa bắt đầu tại t; tác động chung = trung bình theo xã của k tháng đầu",
              did["text"], "analysis/evaluation/effects.py: effects")] if did else []
    return out + did_topic + [
        Topic("evidence", "Phương pháp", "Chất lượng thiết kế và mức bằng chứng",
              "Mỗi ước lượng có hai nhãn riêng. Chất lượng thiết kế nói về số xã mỗi bên, số "
              "tháng số liệu trước khi bắt đầu, tỷ lệ tháng thiếu và kiểm định xu hướng trước. "
              "Mức bằng chứng nói về chính tác động: «mạnh» chỉ khi khoảng tin cậy hợp lệ không "
              "chứa 0, xu hướng trước đạt và các đợt cùng chiều; «không có bằng chứng» là một "
              "câu trả lời có thể có.",
              "thiết kế: tốt / trung bình / yếu theo tiêu chí yếu nhất; bằng chứng: mạnh / vừa / "
              "yếu / không có bằng chứng / chưa đủ xã",
              (did["design"] + " " + did["evidence"]) if did else "",
              "analysis/evaluation/labels.py: design_quality, evidence"),
    ]


def _did_example(evaluation) -> dict | None:
    """Six communes, 18 months: three start in 03/2024 and gain 3 from then on, three never
    start; the estimator of the evaluation page gives the effect and both labels."""
    codes = [f"X{i}" for i in range(6)]
    starts = pd.DataFrame({"commune_code": codes, "phase": ["rollout"] * 3 + ["none"] * 3,
                           "started_on": [dt.date(2024, 3, 1)] * 3 + [None] * 3})
    cohorts = evaluation.assign_cohorts(starts)
    rows = []
    for i, code in enumerate(codes):
        for m in range(18):
            month = dt.date(2023 + m // 12, m % 12 + 1, 1)
            gain = 3 if i < 3 and month >= dt.date(2024, 3, 1) else 0
            rows.append({"commune_code": code, "period": month.strftime("%Y-%m"),
                         "value": 10 + i + 0.1 * m + gain})
    est = evaluation.effects(evaluation.prepare_panel(pd.DataFrame(rows)), cohorts, window=6)
    if not est.estimates:
        return None
    e = est.estimates[0]
    return {"estimate": e.estimate,
            "text": (f"3 xã bắt đầu tháng 03/2024, chỉ số tăng thêm 3 từ đó; 3 xã chưa bắt đầu. "
                     f"Trong 6 tháng đầu: xã đã bắt đầu từ {fmt.fixed(e.before_mean, 2)} lên "
                     f"{fmt.fixed(e.after_mean, 2)}, xã đối chứng từ "
                     f"{fmt.fixed(e.control_before_mean, 2)} lên "
                     f"{fmt.fixed(e.control_after_mean, 2)}: tác động ước lượng "
                     f"{fmt.fixed(e.estimate, 2)}."),
            "design": e.design["text"], "evidence": e.evidence["text"]}


def topics() -> list[Topic]:
    return metric_topics() + norm_topics() + method_topics()


# KPI card label -> topic (ui.metric links every card it draws to its topic)
LABEL_TOPICS = {
    "Độ phủ hộ gia đình": "coverage_pct", "Độ phủ": "coverage_pct",
    "Tổ đang hoạt động": "active_cells", "Thành viên": "per_cell",
    "Mô hình đang hoạt động": "models", "Hộ chưa có tổ phụ trách": "uncovered_households",
    "Hộ chưa có tổ": "uncovered_households", "Xã có tổ": "commune_phase",
    "Thôn, tổ dân phố có tổ": "village_covered", "Tổng số hộ": "commune_households",
    "Hộ có tổ phụ trách": "commune_households", "Giai đoạn": "commune_phase",
    "Số tổ cần thành lập thêm": "planner", "Hộ còn thiếu": "planner",
}


def topic_for(label: str) -> str | None:
    return LABEL_TOPICS.get(label)


def help_link(topic: str | None, text: str | None = None) -> str | None:
    """A KPI card's '?' text: its own sentence, then the link to the guide's topic."""
    if topic is None:
        return text
    link = f"[Cách tính và ví dụ trong Hướng dẫn]({PAGE_URL}?muc={topic})"
    return f"{text}\n\n{link}" if text else link
