"""The written report: a draft «Báo cáo sơ kết / tổng kết» in Word, from the named queries.

    report_docx(db, as_of, communes=None, principal=LOCAL, style="party", kind="so_ket")

returns the .docx bytes of a report laid out in the Party format (Quy định 66-QĐ/TW,
Hướng dẫn 36-HD/VPTW) or the state format (Nghị định 30/2020/NĐ-CP) — the layout is in
dashboard/output/docformat.py. Its body follows a sơ kết report:

    I.   Tình hình triển khai  — cells, members, households covered; by phase and cohort
    II.  Kết quả               — coverage, evaluation findings (labels, intervals), models
    III. Tồn tại, hạn chế      — communes without cells, under-covered villages, overloaded
                                 cells, communes that have not reported
    IV.  Phương hướng, kiến nghị — cells needed to reach the target (analysis/planner.py)

Every figure comes from a named query (dashboard/store/sql/) run at `as_of` over the chosen
communes, or from the analysis modules over those results, and is formatted with
dashboard/i18n/fmt.py; the appendix names the import batches and the SQL behind every table.
What only people can write (directives, difficulties in their own words, proposals, names)
is a highlighted placeholder, never invented text.

Scope and role: `principal.can("export")` is required; a scoped principal gets only the
communes of its scope, and a single commune gets a commune report (its issuer, title,
numbers and text). The caller records the download in the audit log.

Evaluation findings are read through ONE adapter, `evaluation_findings()`.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field

import pandas as pd

from dashboard import config
from dashboard.access.principal import LOCAL, Principal
from dashboard.analysis import planner
from dashboard.contract import FIELDS, PHASES, enum_label, indicator_label
from dashboard.i18n import fmt
from dashboard.output import docformat as dfm
from dashboard.output.docformat import Heading, Para, Placeholder, Table
from dashboard.store import queries

LOG = logging.getLogger("dashboard.report")
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
STYLES = ("party", "state")
KINDS = {"so_ket": "sơ kết", "tong_ket": "tổng kết"}
STYLE_LABELS = {"party": "Thể thức văn bản của Đảng (HD 36-HD/VPTW)",
                "state": "Thể thức văn bản hành chính (NĐ 30/2020/NĐ-CP)"}
PHASE_ROW_LABELS = {"pilot": "Xã thí điểm", "rollout": "Xã nhân rộng", "none": "Xã chưa có tổ"}
DATASET_LABELS = {"units": "Đơn vị hành chính, thôn", "cells": "Tổ dân vận",
                  "models": "Mô hình “Dân vận khéo”", "indicators": "Chỉ số kết quả",
                  "boundaries": "Ranh giới"}
UNIT_PREFIXES = ("Thành phố ", "Tỉnh ", "Xã ", "Phường ", "Đặc khu ", "Thị trấn ")


class ReportError(ValueError):
    """A request the report cannot serve (unknown commune, style or kind)."""


class NoData(Exception):
    """The database has no commune to report on."""


# -- helpers ----------------------------------------------------------------------------------
def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or bool(pd.isna(v))


def _int(v) -> int:
    return 0 if _missing(v) else int(round(float(v)))


def _n(v) -> str:
    return fmt.number(_int(v))


def _pct(v) -> str:
    return fmt.percent(0.0 if _missing(v) else float(v))


def short_name(name: str) -> str:
    """'Tỉnh Bắc Ninh' -> 'Bắc Ninh', 'Xã Đông Tiến' -> 'Đông Tiến'."""
    for p in UNIT_PREFIXES:
        if name.startswith(p):
            return name[len(p):]
    return name


def in_text(name: str) -> str:
    """A unit name inside a sentence: the unit type in lower case ('tỉnh Bắc Ninh')."""
    for p in UNIT_PREFIXES:
        if name.startswith(p):
            return p.lower() + name[len(p):]
    return name


def _is_city(province: str) -> bool:
    return province.startswith("Thành phố ")


def body_name(upper: str) -> str:
    """'BAN DÂN VẬN' -> 'Ban Dân vận'; 'BAN TUYÊN GIÁO VÀ DÂN VẬN' -> 'Ban Tuyên giáo và Dân
    vận' (a word after «BAN» or «VÀ» keeps its capital)."""
    words = upper.lower().split()
    out = []
    for i, w in enumerate(words):
        cap = i == 0 or words[i - 1] in ("ban", "và")
        out.append(w[:1].upper() + w[1:] if cap else w)
    return " ".join(out)


def coverage_bands() -> list[tuple[float, str]]:
    """(lower bound in %, label) of the communes table, highest first, from the settings
    good_coverage_pct, report_low_coverage_pct and report_very_low_coverage_pct."""
    cuts = sorted({float(config.get("good_coverage_pct")),
                   float(config.get("report_low_coverage_pct")),
                   float(config.get("report_very_low_coverage_pct"))}, reverse=True)
    n = [fmt.number(c, 1) for c in cuts]
    out = [(cuts[0], f"Từ {n[0]}% trở lên")]
    out += [(cuts[i], f"Từ {n[i]}% đến dưới {n[i - 1]}%") for i in range(1, len(cuts))]
    out.append((0.0, f"Dưới {n[-1]}% (có tổ)"))
    return out


def month_span(first, last) -> str:
    """'04/2023', '01–03/2024', '11/2024 – 02/2025' ("" without a start)."""
    if _missing(first):
        return ""
    a = pd.Timestamp(first)
    b = a if _missing(last) else pd.Timestamp(last)
    if (a.year, a.month) == (b.year, b.month):
        return fmt.month(a.date())
    if a.year == b.year:
        return f"{a.month:02d}–{b.month:02d}/{a.year}"
    return f"{fmt.month(a.date())} – {fmt.month(b.date())}"


def name_list(names: list[str], limit: int | None = None) -> str:
    """'A, B, C và 4 đơn vị khác' (at most `limit` names)."""
    limit = limit or config.get("report_names_listed")
    names = [str(n) for n in names]
    if len(names) <= limit:
        if len(names) <= 1:
            return "".join(names)
        return ", ".join(names[:-1]) + " và " + names[-1]
    return ", ".join(names[:limit]) + f" và {fmt.number(len(names) - limit)} đơn vị khác"


# -- scope ------------------------------------------------------------------------------------
@dataclass
class Scope:
    kind: str                       # province | commune | selection
    communes: list[str] | None      # None = every commune
    names: list[str]                # names of the chosen communes (all when province)
    province: str                   # 'Tỉnh Bắc Ninh' ("" when the units have no province)

    @property
    def place(self) -> str:
        """Where, inside a sentence: 'tỉnh Bắc Ninh', 'xã Đông Tiến', '3 xã, phường …'."""
        if self.kind == "commune":
            return in_text(self.names[0])
        if self.kind == "selection":
            return f"{fmt.number(len(self.names))} xã, phường ({name_list(self.names)})"
        return in_text(self.province) if self.province else "toàn tỉnh"

    @property
    def everywhere(self) -> str:
        """'toàn tỉnh', 'xã Đông Tiến', 'các xã, phường được chọn'."""
        if self.kind == "commune":
            return in_text(self.names[0])
        if self.kind == "selection":
            return "các xã, phường được chọn"
        return "toàn thành phố" if _is_city(self.province) else "toàn tỉnh"


def resolve_scope(db, principal: Principal, communes, as_of: dt.date) -> Scope:
    """The communes this principal may report on, narrowed by the requested ones."""
    units = queries.run(db, "report_communes", as_of=as_of)
    if units.empty:
        raise NoData("Chưa có xã, phường nào trong dữ liệu: hãy nhập danh sách đơn vị trước.")
    allowed = units
    if principal.scope is not None:
        scope = set(principal.scope)
        allowed = units[units.unit_code.isin(scope) | units.parent_code.isin(scope)
                        | units.province_code.isin(scope)]
    requested = queries.coerce_param("communes", communes)
    if requested:
        unknown = [c for c in requested if c not in set(units.unit_code)]
        if unknown:
            raise ReportError(f"Không có xã, phường mã {', '.join(unknown)} trong dữ liệu.")
        outside = [c for c in requested if c not in set(allowed.unit_code)]
        if outside:
            raise PermissionError(f"Xã, phường mã {', '.join(outside)} nằm ngoài phạm vi dữ "
                                  "liệu của tài khoản.")
        chosen = allowed[allowed.unit_code.isin(requested)]
    else:
        chosen = allowed
    if chosen.empty:
        raise PermissionError("Tài khoản không có xã, phường nào trong phạm vi dữ liệu.")
    provinces = sorted(chosen.province_name.dropna().unique())
    province = ", ".join(map(str, provinces))
    if len(chosen) == len(units) and not requested:
        return Scope("province", None, chosen.unit_name.tolist(), province)
    codes = chosen.unit_code.tolist()
    return Scope("commune" if len(codes) == 1 else "selection", codes,
                 chosen.unit_name.tolist(), province)


# -- the evaluation adapter -------------------------------------------------------------------
@dataclass
class Finding:
    topic: str                      # 'Độ phủ sau 12 tháng — xã thí điểm'
    text: str                       # the finding with its numbers
    interval: str = ""              # the interval in words ("" when none)
    labels: list[tuple[str, str]] = field(default_factory=list)  # (kind, label)
    basis: str = ""                 # what the label rests on


@dataclass
class EvalSummary:
    available: bool
    horizon: int | None = None
    indicator: str | None = None
    cohorts: list[dict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    note: str = ""
    queries: tuple[str, ...] = ()


def _pct_interval(lo, hi) -> str:
    if _missing(lo) or _missing(hi):
        return "chưa tính được khoảng tin cậy vì quá ít xã"
    return (f"với số xã hiện có, con số thực có thể thấp đến {_pct(lo)} hoặc cao đến "
            f"{_pct(hi)} (khoảng tin cậy 95%)")


def _change_interval(lo, hi) -> str:
    if _missing(lo) or _missing(hi):
        return "chưa tính được khoảng tin cậy"
    lo, hi = float(lo), float(hi)
    a, b = fmt.fixed(abs(lo), 2), fmt.fixed(abs(hi), 2)
    if hi < 0:
        return (f"mức giảm thực có thể từ {b} đến {a} (khoảng tin cậy 95%), tức là có giảm")
    if lo > 0:
        return f"mức tăng thực có thể từ {a} đến {b} (khoảng tin cậy 95%), tức là có tăng"
    return (f"thay đổi thực có thể từ giảm {a} đến tăng {b} (khoảng tin cậy 95%), nên chưa "
            "loại trừ được khả năng không thay đổi")


def _labels(item: dict) -> list[tuple[str, str]]:
    """The evidence labels of one finding, whatever shape the evaluation gives them:
    {'evidence': {'label': …}} today; a design-quality label beside it when present."""
    out = []
    for key, kind in (("design", "Chất lượng thiết kế"), ("design_quality", "Chất lượng thiết kế"),
                      ("evidence", "Mức bằng chứng"), ("effect_evidence", "Mức bằng chứng")):
        v = item.get(key)
        label = v.get("label") if isinstance(v, dict) else v
        if label and kind not in [k for k, _ in out]:
            out.append((kind, str(label)))
    return out


def label_value(kind: str, label: str) -> str:
    """'Bằng chứng yếu' under 'Mức bằng chứng' reads 'yếu' (the kind is already said)."""
    v = label.strip()
    for lead in (kind, "Bằng chứng", "Mức bằng chứng", "Chất lượng thiết kế"):
        if v.lower().startswith(lead.lower() + " "):
            v = v[len(lead) + 1:]
            break
    return v[:1].lower() + v[1:]


def evaluation_findings(db, as_of: dt.date, communes: list[str] | None) -> EvalSummary:
    """THE adapter between dashboard.analysis.evaluation and this report: its public
    `key_findings()` turned into cohort rows and findings a leader reads (sentence, interval
    in words, labels). Nothing else in this module reads the evaluation."""
    from dashboard.analysis import evaluation

    names = tuple(getattr(evaluation, "QUERY_NAMES", ()))
    try:
        found = evaluation.key_findings(db, as_of, communes)
    except Exception as exc:   # the report must not fail with the evaluation
        LOG.warning("evaluation findings unavailable", exc_info=True)
        return EvalSummary(False, note=f"Chưa tính được kết quả đánh giá ({type(exc).__name__}).",
                           queries=names)
    h = int(found.get("horizon") or 0)
    out: list[Finding] = []
    cov = found.get("coverage_at_horizon") or {}
    for key, who in (("pilot", "các xã thí điểm"), ("rollout", "các xã nhân rộng")):
        c = cov.get(key)
        if not c:
            continue
        ev = c.get("evidence") or {}
        out.append(Finding(
            topic=f"Độ phủ sau {h} tháng — {who}",
            text=(f"Sau {h} tháng kể từ khi bắt đầu, {who} ({_n(c.get('communes'))} xã đã đủ "
                  f"{h} tháng) có {_pct(c.get('coverage_pct'))} số hộ được tổ phụ trách"),
            interval=_pct_interval(c.get("ci_low"), c.get("ci_high")),
            labels=_labels(c), basis=str(ev.get("text") or "")))
    surv = found.get("survival_at_horizon") or {}
    for key, who in (("pilot", "thí điểm"), ("rollout", "nhân rộng")):
        s = surv.get(key)
        if not s or _missing(s.get("share_pct")):
            continue
        out.append(Finding(
            topic=f"Tổ còn hoạt động sau {h} tháng — tổ {who}",
            text=(f"Trong {_n(s.get('cells'))} tổ {who} đã thành lập được ít nhất {h} tháng, "
                  f"{_pct(s.get('share_pct'))} vẫn còn hoạt động sau {h} tháng"),
            labels=_labels(s)))
    ind = found.get("indicator")
    did = found.get("did") or []
    main = next((d for d in did if d.get("cohort") == "all_started"), did[0] if did else None)
    if ind and main is not None and not _missing(main.get("estimate")):
        est = float(main["estimate"])
        who = ("các xã đã bắt đầu" if main.get("cohort") == "all_started"
               else f"các xã nhóm «{main.get('cohort_label')}»")
        verb = "giảm" if est < 0 else ("tăng" if est > 0 else "không đổi")
        amount = f" khoảng {fmt.fixed(abs(est), 2)}" if est else ""
        out.append(Finding(
            topic=f"Chỉ số «{indicator_label(ind)}»",
            text=(f"Chỉ số «{indicator_label(ind)}»: sau khi thành lập tổ, giá trị hằng tháng "
                  f"ở {who} {verb}{amount} so với các xã chưa bắt đầu trong cùng thời gian "
                  f"({_n(main.get('n_treated'))} xã đã bắt đầu, "
                  f"{_n(main.get('n_control'))} xã đối chứng)"),
            interval=_change_interval(main.get("ci_low"), main.get("ci_high")),
            labels=_labels(main), basis=str((main.get("evidence") or {}).get("text") or "")))
    elif ind:
        out.append(Finding(topic=f"Chỉ số «{indicator_label(ind)}»",
                           text=(f"Chỉ số «{indicator_label(ind)}»: chưa đủ số liệu để so sánh "
                                 "các xã đã bắt đầu với các xã chưa bắt đầu")))
    return EvalSummary(True, h, ind, list(found.get("cohorts") or []), out, queries=names)


# -- facts: every query the report reads ----------------------------------------------------
@dataclass
class Facts:
    as_of: dt.date
    scope: Scope
    kpi: pd.Series
    pvr: pd.DataFrame
    cot: pd.DataFrame
    communes: pd.DataFrame
    villages: pd.DataFrame
    cells: pd.DataFrame
    models: pd.DataFrame
    reporting: pd.DataFrame
    batches: pd.DataFrame
    evaluation: EvalSummary
    village_plan: pd.DataFrame
    commune_plan: pd.DataFrame
    plan: dict
    demo: bool


def gather(db, as_of: dt.date, scope: Scope) -> Facts:
    p = {"as_of": as_of, "communes": scope.communes}
    communes = queries.run(db, "coverage_by_unit", level="commune", **p)
    villages = queries.run(db, "coverage_by_unit", level="village", **p)
    target, hpc = config.get("target_coverage_pct"), config.get("households_per_cell")
    vplan = planner.plan_villages(villages, target, hpc)
    cplan = planner.plan_communes(communes, vplan, target, hpc)
    return Facts(
        as_of=as_of, scope=scope,
        kpi=queries.run(db, "kpi_overview", **p).iloc[0],
        pvr=queries.run(db, "pilot_vs_rollout", **p),
        cot=queries.run(db, "cells_over_time", **p),
        communes=communes, villages=villages,
        cells=queries.run(db, "coverage_cells", **p),
        models=queries.run(db, "models_by_field", **p),
        reporting=queries.run(db, "report_reporting", **p),
        batches=queries.run(db, "import_batches"),
        evaluation=evaluation_findings(db, as_of, scope.communes),
        village_plan=vplan, commune_plan=cplan, plan=planner.plan_total(cplan),
        demo=db.is_demo())


# -- the body ---------------------------------------------------------------------------------
def _ph(text: str) -> Placeholder:
    return Placeholder(f"{body_name(config.get('report_issuer'))} bổ sung: {text}")


class Body:
    """Builds the blocks of sections I–IV and records which named queries each table uses."""

    def __init__(self, f: Facts, style: str, kind: str, ph_author: str):
        self.f, self.style, self.kind = f, style, kind
        self.ph_author = ph_author
        self.blocks: list[dfm.Block] = []
        self.sources: list[tuple[str, list[str]]] = []    # (table caption, query names)
        self.n_tables = 0

    def ph(self, text: str) -> Placeholder:
        return Placeholder(f"{self.ph_author} bổ sung: {text}")

    def h1(self, text):
        self.blocks.append(Heading(1, text))

    def h2(self, text):
        self.blocks.append(Heading(2, text))

    def p(self, *parts, bullet=False, italic=False):
        self.blocks.append(Para(list(parts), bullet=bullet, italic=italic))

    def table(self, title: str, header, rows, query_names, numeric, widths=None, total=False,
              note=""):
        self.n_tables += 1
        caption = f"Bảng {self.n_tables}. {title}"
        self.blocks.append(Table(caption, header, rows, list(query_names), numeric, widths,
                                 total, note))
        self.sources.append((caption, list(query_names)))

    # -- I -----------------------------------------------------------------------------
    def section_one(self) -> None:
        f, k = self.f, self.f.kpi
        self.h1("I. TÌNH HÌNH TRIỂN KHAI")
        self.h2("1. Công tác lãnh đạo, chỉ đạo, tuyên truyền")
        self.p(self.ph("các văn bản lãnh đạo, chỉ đạo đã ban hành; công tác tuyên truyền, quán "
                       "triệt; việc xét chọn địa bàn thí điểm và phân công phụ trách"))
        self.h2("2. Kết quả thành lập tổ dân vận cộng đồng")
        date = fmt.date(f.as_of)
        if f.scope.kind == "commune":
            where = (f"; {_n(k['villages_with_cells'])}/{_n(k['villages'])} thôn, tổ dân phố "
                     "đã có tổ")
        else:
            where = (f", ở {_n(k['communes_with_cells'])}/{_n(k['communes'])} xã, phường và "
                     f"{_n(k['villages_with_cells'])}/{_n(k['villages'])} thôn, tổ dân phố")
        self.p(f"Tính đến ngày {date}, {f.scope.everywhere} có {_n(k['cells'])} tổ dân vận "
               f"cộng đồng đang hoạt động với {_n(k['members'])} thành viên{where}; các tổ "
               f"phụ trách {_n(k['households_covered'])}/{_n(k['households'])} hộ gia đình, "
               f"đạt {_pct(k['coverage_pct'])} số hộ.")
        month = f.as_of.strftime("%Y-%m")
        last = f.cot[f.cot["month"] == month]
        by_phase = {r.phase: r for r in last.itertuples()}
        started = f.cot[f.cot["cells"] > 0]
        if len(last):
            bits = [f"{_n(by_phase[ph].cells)} tổ {label} ({_n(by_phase[ph].members)} thành "
                    "viên)" for ph, label in (("pilot", "thành lập khi thí điểm"),
                                              ("rollout", "thành lập khi nhân rộng"))
                    if ph in by_phase]
            first = fmt.month(started["month"].iloc[0]) if len(started) else "–"
            self.p(f"Các tổ đầu tiên hoạt động từ tháng {first}; trong số tổ đang hoạt động "
                   "có " + " và ".join(bits) + ".")
        if f.scope.kind == "commune":
            self._commune_phase()
        else:
            self._phase_table()
            self._cohort_table()

    def _phase_table(self) -> None:
        f, k = self.f, self.f.kpi
        rows, texts = [], []
        for r in f.pvr.itertuples():
            label = PHASE_ROW_LABELS.get(r.phase, r.phase)
            rows.append([label, _n(r.communes), _n(r.cells), _n(r.members),
                         fmt.fixed(r.members_per_cell, 1), _n(r.households),
                         _n(r.households_covered), _pct(r.coverage_pct)])
            if r.phase != "none":
                texts.append(f"{_n(r.communes)} xã {enum_label(PHASES, r.phase).lower()} có "
                             f"{_n(r.cells)} tổ với {_n(r.members)} thành viên, phụ trách "
                             f"{_n(r.households_covered)}/{_n(r.households)} hộ "
                             f"({_pct(r.coverage_pct)})")
        none = f.pvr[f.pvr["phase"] == "none"]
        tail = (f"; {_n(none['communes'].iloc[0])} xã, phường chưa có tổ" if len(none) else "")
        if texts:
            self.p("Theo giai đoạn của xã: " + "; ".join(texts) + tail + ".")
        rows.append(["Cộng", _n(k["communes"]), _n(k["cells"]), _n(k["members"]), "",
                     _n(k["households"]), _n(k["households_covered"]), _pct(k["coverage_pct"])])
        self.table("Kết quả theo giai đoạn triển khai của xã",
                   ["Nhóm xã", "Số xã", "Số tổ", "Thành viên", "Thành viên/tổ", "Số hộ",
                    "Hộ được phụ trách", "Độ phủ"], rows, ["pilot_vs_rollout", "kpi_overview"],
                   [False] + [True] * 7, [31, 15, 17, 20, 19, 22, 23, 18], total=True,
                   note="Xã thí điểm: xã có tổ thí điểm; mọi tổ của xã thí điểm (kể cả tổ "
                        "thành lập khi nhân rộng) tính vào nhóm thí điểm.")

    def _cohort_table(self) -> None:
        ev = self.f.evaluation
        rows = []
        for c in ev.cohorts:
            if int(c.get("communes") or 0) == 0:
                continue
            span = month_span(c.get("first_start"), c.get("last_start"))
            rows.append([str(c.get("cohort_label")), span, _n(c.get("communes")),
                         _n(c.get("cells")), _n(c.get("members")), _n(c.get("households")),
                         _n(c.get("households_covered")), _pct(c.get("coverage_pct"))])
        if rows:
            self.table("Kết quả theo đợt triển khai (nhóm xã theo thời điểm thành lập tổ đầu "
                       "tiên)", ["Đợt", "Bắt đầu", "Số xã", "Số tổ", "Thành viên", "Số hộ",
                                "Hộ được phụ trách", "Độ phủ"], rows,
                       list(ev.queries[:1]) or ["eval_commune_starts"],
                       [False, False] + [True] * 6, [37, 26, 14, 15, 18, 19, 20, 16])

    def _commune_phase(self) -> None:
        f = self.f
        month = f.as_of.strftime("%Y-%m")
        last = f.cot[f.cot["month"] == month]
        ev = f.evaluation
        mine = [c for c in ev.cohorts if int(c.get("communes") or 0) > 0]
        if mine and not _missing(mine[0].get("first_start")):
            c = mine[0]
            self.p(f"{f.scope.names[0]} bắt đầu triển khai từ ngày "
                   f"{fmt.date(pd.Timestamp(c['first_start']).date())} (ngày thành lập tổ đầu "
                   f"tiên), thuộc nhóm «{c.get('cohort_label')}».")
        elif mine:
            self.p(f"{f.scope.names[0]} chưa thành lập tổ dân vận cộng đồng nào.")
        if len(last):
            rows = [[enum_label(PHASES, r.phase), _n(r.cells), _n(r.members)]
                    for r in last.itertuples()]
            self.table(f"Tổ đang hoạt động theo giai đoạn thành lập ({f.scope.names[0]})",
                       ["Giai đoạn thành lập tổ", "Số tổ", "Thành viên"], rows,
                       ["cells_over_time"], [False, True, True], [85, 40, 40])

    # -- II ----------------------------------------------------------------------------
    def section_two(self) -> None:
        f = self.f
        self.h1("II. KẾT QUẢ")
        self.h2("1. Độ phủ hộ gia đình")
        if f.scope.kind == "commune":
            self._villages_table()
        else:
            self._bands()
        self.h2("2. Kết quả bước đầu của thí điểm và nhân rộng")
        self._evaluation()
        self.h2("3. Mô hình “Dân vận khéo”")
        self._models()

    def _bands(self) -> None:
        cov = self.f.communes
        pct = cov["coverage_pct"].astype(float)
        has = cov["cells"].astype(int) > 0
        rows, counts = [], []
        upper = None
        for low, label in coverage_bands():
            mask = has & (pct >= low) & ((pct < upper) if upper is not None else True)
            upper = low
            g = cov[mask]
            counts.append((label, len(g)))
            rows.append([label, _n(len(g)), _n(g["households"].sum()),
                         _n(g["households_covered"].sum())])
        g = cov[~has]
        rows.append(["Chưa có tổ", _n(len(g)), _n(g["households"].sum()), "0"])
        rows.append(["Cộng", _n(len(cov)), _n(cov["households"].sum()),
                     _n(cov["households_covered"].sum())])
        good = config.get("good_coverage_pct")
        n_good = int((has & (pct >= good)).sum())
        lead = (f"{_n(n_good)}/{_n(len(cov))} xã, phường có" if n_good
                else "Chưa xã, phường nào có")
        self.p(f"{lead} từ {good}% số hộ trở lên được tổ phụ trách; "
               f"{_n(int((~has).sum()))}/{_n(len(cov))} xã, phường chưa có tổ nào.")
        best = cov[has].sort_values(["coverage_pct", "unit_code"], ascending=[False, True])
        worst = cov[has].sort_values(["coverage_pct", "unit_code"], ascending=[True, True])
        if len(best):
            self.p("Độ phủ cao nhất: " + "; ".join(
                f"{r.unit_name} ({_pct(r.coverage_pct)})" for r in best.head(3).itertuples())
                + ". Thấp nhất trong các xã đã có tổ: " + "; ".join(
                f"{r.unit_name} ({_pct(r.coverage_pct)})" for r in worst.head(3).itertuples())
                + ".")
        self.table("Số xã, phường theo mức độ phủ hộ gia đình",
                   ["Mức độ phủ", "Số xã, phường", "Số hộ", "Hộ được phụ trách"], rows,
                   ["coverage_by_unit"], [False, True, True, True], [60, 30, 37, 38],
                   total=True)

    def _villages_table(self) -> None:
        f, k = self.f, self.f.kpi
        v = f.villages
        has = v[(v["cells"].astype(int) > 0) & (v["households"].astype(int) > 0)]
        if len(has):
            best = has.sort_values(["coverage_pct", "unit_code"], ascending=[False, True])
            worst = has.sort_values(["coverage_pct", "unit_code"], ascending=[True, True])
            self.p(f"Độ phủ hộ gia đình của {in_text(f.scope.names[0])} đạt "
                   f"{_pct(k['coverage_pct'])}; trong các thôn, tổ dân phố đã có tổ, cao nhất là "
                   f"{best.iloc[0]['unit_name']} ({_pct(best.iloc[0]['coverage_pct'])}), thấp "
                   f"nhất là {worst.iloc[0]['unit_name']} ({_pct(worst.iloc[0]['coverage_pct'])}).")
        else:
            self.p(f"{f.scope.names[0]} chưa có thôn, tổ dân phố nào có tổ dân vận cộng đồng.")
        rows = [[r.unit_name, _n(r.households), _n(r.cells), _n(r.members),
                 _n(r.households_covered), _pct(r.coverage_pct)] for r in v.itertuples()]
        rows.append(["Cộng", _n(v["households"].sum()), _n(v["cells"].sum()),
                     _n(v["members"].sum()), _n(v["households_covered"].sum()), ""])
        self.table(f"Độ phủ theo thôn, tổ dân phố ({f.scope.names[0]})",
                   ["Thôn, tổ dân phố", "Số hộ", "Số tổ", "Thành viên", "Hộ được phụ trách",
                    "Độ phủ"], rows, ["coverage_by_unit"],
                   [False] + [True] * 5, [55, 20, 18, 22, 28, 22], total=True,
                   note="Tổ gắn trực tiếp với xã (không thuộc thôn nào) không có trong bảng "
                        "này nhưng được tính trong độ phủ của xã.")

    def _evaluation(self) -> None:
        ev = self.f.evaluation
        if not ev.available or not ev.findings:
            self.p(ev.note or "Chưa đủ số liệu để đánh giá kết quả thí điểm và nhân rộng.")
        else:
            self.p("So sánh các nhóm xã theo thời gian kể từ khi bắt đầu (số liệu và phương "
                   "pháp như trang «Thí điểm và nhân rộng»):")
            for fd in ev.findings:
                text = fd.text
                if fd.interval:
                    text += f"; {fd.interval}"
                if fd.labels:
                    text += " — " + "; ".join(f"{k.lower()}: {label_value(k, v)}"
                                              for k, v in fd.labels)
                self.p(text + ".", bullet=True)
            self.p("Mức bằng chứng cho biết kết luận dựa trên bao nhiêu xã và bao nhiêu tháng số "
                   "liệu; so sánh giữa các nhóm xã chưa phải là kết luận chắc chắn về tác động "
                   "của tổ dân vận.", italic=True)
        self.p(self.ph("nhận định về hiệu quả từ thực tiễn cơ sở — ý kiến của Nhân dân, cấp "
                       "ủy, chính quyền; ví dụ cụ thể"))

    def _models(self) -> None:
        mbf = self.f.models
        total, active = int(mbf["models"].sum()), int(mbf["active_models"].sum())
        if total == 0:
            self.p(f"Chưa có mô hình “Dân vận khéo” nào được đăng ký ở {self.f.scope.place}.")
        else:
            top = mbf.sort_values(["active_models", "models"], ascending=False).iloc[0]
            self.p(f"Có {_n(active)} mô hình “Dân vận khéo” đang hoạt động trên tổng số "
                   f"{_n(total)} mô hình đã đăng ký; nhiều nhất là lĩnh vực "
                   f"{enum_label(FIELDS, top['field'])} ({_n(top['active_models'])} mô hình "
                   "đang hoạt động).")
            rows = [[enum_label(FIELDS, r.field), _n(r.models), _n(r.active_models)]
                    for r in mbf.itertuples()]
            rows.append(["Cộng", _n(total), _n(active)])
            self.table("Mô hình “Dân vận khéo” theo lĩnh vực",
                       ["Lĩnh vực", "Số mô hình đã đăng ký", "Đang hoạt động"], rows,
                       ["models_by_field"], [False, True, True], [75, 45, 45], total=True)
        self.p(self.ph("mô hình tiêu biểu, cách làm hay, gương điển hình"))

    # -- III ---------------------------------------------------------------------------
    def section_three(self) -> None:
        f, k = self.f, self.f.kpi
        self.h1("III. TỒN TẠI, HẠN CHẾ")
        self.h2("1. Những nội dung chưa đạt qua số liệu")
        limit = config.get("report_names_listed")
        if f.scope.kind != "commune":
            none = f.communes[f.communes["cells"].astype(int) == 0].sort_values(
                ["households", "unit_code"], ascending=[False, True])
            if len(none):
                self.p(f"{_n(len(none))}/{_n(k['communes'])} xã, phường chưa thành lập tổ dân "
                       f"vận cộng đồng: {name_list(none['unit_name'].tolist(), limit)}.",
                       bullet=True)
            else:
                self.p("Tất cả các xã, phường đã thành lập tổ dân vận cộng đồng.", bullet=True)
        v = f.villages
        no_cells = planner.villages_without_cells(v)
        low = config.get("report_low_coverage_pct")
        with_cells = v[(v["cells"].astype(int) > 0) & (v["households"].astype(int) > 0)]
        under = with_cells[with_cells["coverage_pct"].astype(float) < low]
        if f.scope.kind == "commune":
            text = (f"{_n(len(no_cells))}/{_n(k['villages'])} thôn, tổ dân phố có hộ dân nhưng "
                    "chưa có tổ" + (f": {name_list(no_cells['unit_name'].tolist(), limit)}"
                                    if len(no_cells) else ""))
        else:
            text = (f"{_n(len(no_cells))}/{_n(k['villages'])} thôn, tổ dân phố có hộ dân nhưng "
                    f"chưa có tổ, với {_n(no_cells['households'].sum())} hộ")
        self.p(text + f"; {_n(len(under))} thôn, tổ dân phố đã có tổ nhưng độ phủ dưới "
               f"{fmt.number(low)}%" + (
                   f" ({name_list(under.sort_values('coverage_pct')['unit_name'].tolist(), limit)})"
                   if f.scope.kind == "commune" and len(under) else "") + ".", bullet=True)
        over = planner.overloaded_cells(f.cells, config.get("overload_households"))
        cap = config.get("overload_households")
        if len(over):
            first = over.iloc[0]
            self.p(f"{_n(len(over))}/{_n(len(f.cells))} tổ phụ trách trên {cap} hộ, quá sức "
                   f"một tổ; nhiều nhất là {first['cell_name']} ({first['unit_name']}, "
                   f"{first['commune_name']}) với {_n(first['households_covered'])} hộ.",
                   bullet=True)
        else:
            self.p(f"Không có tổ nào phụ trách trên {cap} hộ.", bullet=True)
        self._reporting()
        self.h2("2. Khó khăn, vướng mắc và nguyên nhân")
        self.p(self.ph("khó khăn, vướng mắc từ thực tiễn cơ sở (bằng lời của cơ sở); nguyên "
                       "nhân khách quan, chủ quan"))

    def _reporting(self) -> None:
        r = self.f.reporting
        period = r["period"].dropna()
        if r.empty or period.empty:
            self.p("Chưa có số liệu báo cáo chỉ số kết quả của các xã, phường trong hệ thống, nên "
                   "chưa xác định được xã, phường nào chưa gửi báo cáo.", bullet=True)
            return
        month = fmt.month(period.iloc[0])
        missing = r[r["reports_in_period"].astype(int) == 0]
        if self.f.scope.kind == "commune":
            self.p((f"Kỳ báo cáo gần nhất (tháng {month}): {self.f.scope.names[0]} "
                    + ("chưa gửi số liệu chỉ số kết quả." if len(missing)
                       else "đã gửi số liệu chỉ số kết quả.")), bullet=True)
        elif len(missing):
            self.p(f"Kỳ báo cáo gần nhất (tháng {month}): {_n(len(missing))}/{_n(len(r))} xã, "
                   "phường chưa gửi số liệu chỉ số kết quả: "
                   f"{name_list(missing['commune_name'].tolist())}.", bullet=True)
        else:
            self.p(f"Kỳ báo cáo gần nhất (tháng {month}): tất cả {_n(len(r))} xã, phường đã gửi "
                   "số liệu chỉ số kết quả.", bullet=True)

    # -- IV ----------------------------------------------------------------------------
    def section_four(self) -> None:
        f = self.f
        self.h1("IV. PHƯƠNG HƯỚNG, NHIỆM VỤ VÀ KIẾN NGHỊ")
        self.h2("1. Phương hướng, nhiệm vụ")
        target, hpc = config.get("target_coverage_pct"), config.get("households_per_cell")
        t = f.plan
        if t["new_cells"] == 0:
            self.p(f"Theo số liệu, {f.scope.everywhere} đã đạt mục tiêu {fmt.number(target)}% "
                   "số hộ gia đình có tổ dân vận phụ trách; trọng tâm là duy trì, nâng chất "
                   "lượng hoạt động của các tổ.")
        elif f.scope.kind == "commune":
            need = f.village_plan[f.village_plan["new_cells"] > 0]
            self.p(f"Để {fmt.number(target)}% số hộ gia đình có tổ dân vận phụ trách (định mức "
                   f"{fmt.number(hpc)} hộ/tổ), {f.scope.names[0]} cần thành lập thêm khoảng "
                   f"{_n(t['new_cells'])} tổ ở {_n(len(need))} thôn, tổ dân phố, phụ trách thêm "
                   f"{_n(t['shortfall_households'])} hộ.")
            rows = [[_n(r.priority), r.unit_name, _n(r.households), _n(r.uncovered_households),
                     _n(r.new_cells)] for r in need.itertuples()]
            rows.append(["", "Cộng", _n(need["households"].sum()),
                         _n(need["uncovered_households"].sum()), _n(need["new_cells"].sum())])
            self.table("Số tổ cần thành lập thêm theo thôn, tổ dân phố",
                       ["Thứ tự ưu tiên", "Thôn, tổ dân phố", "Số hộ", "Hộ chưa có tổ phụ trách",
                        "Số tổ cần thêm"], rows, ["coverage_by_unit"],
                       [True, False, True, True, True], [22, 58, 25, 35, 25], total=True)
        else:
            cp = f.commune_plan
            need = cp[cp["new_cells"] > 0]
            limit = config.get("report_names_listed")
            self.p(f"Để {fmt.number(target)}% số hộ gia đình có tổ dân vận phụ trách (định mức "
                   f"{fmt.number(hpc)} hộ/tổ), {f.scope.everywhere} cần thành lập thêm khoảng "
                   f"{_n(t['new_cells'])} tổ ở {_n(t['communes_needing_cells'])} xã, phường, "
                   f"phụ trách thêm {_n(t['shortfall_households'])} hộ; ưu tiên các xã còn "
                   f"nhiều hộ chưa có tổ phụ trách (bảng dưới, {_n(min(limit, len(need)))} xã "
                   "đầu danh sách).")
            top = need.head(limit)
            rows = [[_n(r.priority), r.unit_name, _n(r.uncovered_households),
                     _n(r.villages_needing_cells), _n(r.new_cells)] for r in top.itertuples()]
            rows.append(["", f"Cộng {_n(len(need))} xã, phường", _n(t["uncovered_households"]),
                         _n(need["villages_needing_cells"].sum()), _n(t["new_cells"])])
            self.table("Các xã, phường cần thành lập thêm nhiều tổ nhất",
                       ["Thứ tự ưu tiên", "Xã, phường", "Hộ chưa có tổ phụ trách",
                        "Thôn cần thành lập tổ", "Số tổ cần thêm"], rows, ["coverage_by_unit"],
                       [True, False, True, True, True], [22, 58, 30, 30, 25], total=True,
                       note="Danh sách đầy đủ ở trang «Độ phủ hộ gia đình», mục kế hoạch số tổ "
                            "cần lập.")
        self.p(self.ph("nhiệm vụ, giải pháp trọng tâm thời gian tới; lộ trình nhân rộng"))
        self.h2("2. Kiến nghị, đề xuất")
        self.p(self.ph("kiến nghị, đề xuất với cấp trên (nội dung, cơ quan nhận kiến nghị)"))


# -- letterhead -------------------------------------------------------------------------------
def letterhead(scope: Scope, style: str, today: dt.date, demo: bool, kind: str) -> dfm.Letterhead:
    prov = scope.province or ""
    prov_short = short_name(prov) if prov else "…"
    city = _is_city(prov)
    committee = "Thành ủy" if city else "Tỉnh ủy"
    level = "THÀNH PHỐ" if city else "TỈNH"
    issuer_cfg = config.get("report_issuer")
    symbol = config.get("report_issuer_symbol")
    commune = scope.names[0] if scope.kind == "commune" else ""
    place = config.get("report_place") or (short_name(commune) if commune else prov_short)
    place_date = f"{place}, ngày … tháng … năm {today.year}"
    word = KINDS[kind]
    if scope.kind == "commune":
        about = f"trên địa bàn {in_text(commune)}"
    elif scope.kind == "selection":
        about = f"tại {fmt.number(len(scope.names))} xã, phường"
    else:
        about = f"trên địa bàn {in_text(prov)}" if prov else "trên địa bàn tỉnh"
    subject = [f"{word} công tác xây dựng tổ dân vận cộng đồng",
               f"và mô hình “Dân vận khéo” {about}"]
    mark = ["DỰ THẢO"] + (["Số liệu minh họa, không phải số liệu thật"] if demo else [])
    signer = Placeholder("Họ và tên người ký")
    if style == "party":
        if scope.kind == "commune":
            return dfm.Letterhead(
                "party", f"ĐẢNG BỘ {level} {prov_short.upper()}", f"ĐẢNG ỦY {commune.upper()}",
                "Số …-BC/ĐU", place_date, "BÁO CÁO", subject,
                [f"{body_name(issuer_cfg)} {committee} (để báo cáo),",
                 Placeholder("Đảng ủy bổ sung nơi nhận khác"),
                 "Lưu Văn phòng Đảng ủy."],
                "T/M ĐẢNG ỦY", "BÍ THƯ", signer, mark)
        return dfm.Letterhead(
            "party", f"{committee.upper()} {prov_short.upper()}", issuer_cfg,
            f"Số …-BC/{symbol}", place_date, "BÁO CÁO", subject,
            [f"Thường trực {committee} (để báo cáo),", _ph("nơi nhận khác"),
             "Lưu Văn phòng Ban."],
            f"T/M {issuer_cfg}", "TRƯỞNG BAN", signer, mark)
    unit = (commune.upper() if commune else f"{level} {prov_short.upper()}")
    return dfm.Letterhead(
        "state", "", f"ỦY BAN NHÂN DÂN\n{unit}", "Số: …/BC-UBND", place_date, "BÁO CÁO",
        [s[:1].upper() + s[1:] for s in subject[:1]] + subject[1:],
        [Placeholder("Cơ quan bổ sung nơi nhận"), "Lưu: VT."],
        "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", signer, mark)


def issuer_in_text(scope: Scope, style: str) -> str:
    """The issuing body inside a sentence: 'Ban Dân vận Tỉnh ủy', 'Đảng ủy phường Đa Mai',
    'Ủy ban nhân dân tỉnh Bắc Ninh'."""
    where = in_text(scope.names[0]) if scope.kind == "commune" else in_text(scope.province)
    if style == "state":
        return f"Ủy ban nhân dân {where}".strip()
    if scope.kind == "commune":
        return f"Đảng ủy {where}"
    committee = "Thành ủy" if _is_city(scope.province) else "Tỉnh ủy"
    return f"{body_name(config.get('report_issuer'))} {committee}"


# -- appendix ---------------------------------------------------------------------------------
def batch_rows(batches: pd.DataFrame) -> list[list[str]]:
    """Committed import batches summed per dataset: batches, their numbers, last import date,
    rows added and updated (a province imports hundreds of monthly batches)."""
    b = batches[batches["status"] == "committed"].sort_values("batch_id")
    rows = []
    for ds, g in b.groupby("dataset", sort=False):
        ids = g["batch_id"].astype(int).tolist()
        span = f"#{ids[0]}" if len(ids) == 1 else f"#{ids[0]} – #{ids[-1]}"
        rows.append([DATASET_LABELS.get(str(ds), str(ds)), _n(len(ids)), span,
                     fmt.date(pd.Timestamp(g["created_at"].max()).date()),
                     _n(g["rows_new"].fillna(0).sum()), _n(g["rows_updated"].fillna(0).sum())])
    return rows


def appendix(f: Facts, body: Body, lh: dfm.Letterhead, issuer_text: str) -> list[dfm.Block]:
    out: list[dfm.Block] = [
        Para(["PHỤ LỤC"], align="center", bold=True),
        Para(["NGUỒN SỐ LIỆU CỦA BÁO CÁO"], align="center", bold=True),
        Para([f"(Kèm theo Báo cáo {lh.number.replace('Số: ', 'số ').replace('Số ', 'số ')}, "
              f"ngày … tháng … năm … của {issuer_text})"], align="center", italic=True),
        Para([f"Số liệu tính đến ngày {fmt.date(f.as_of)}; phạm vi: {f.scope.place}. Tổ đang "
              "hoạt động: đã thành lập và chưa giải thể đến ngày đó; độ phủ = số hộ được tổ "
              "phụ trách / tổng số hộ, số hộ phụ trách không tính vượt quá số hộ của thôn, xã."]),
    ]
    if f.demo:
        out.append(Para(["Đây là dữ liệu minh họa (tỉnh mẫu), không phải số liệu thật."],
                        italic=True))
    rows = batch_rows(f.batches)
    if rows:
        out.append(Table("Các lô dữ liệu đã nhập (đã ghi, chưa hoàn tác)",
                         ["Dữ liệu", "Số lô", "Lô", "Lần nhập cuối", "Dòng mới",
                          "Dòng cập nhật"],
                         rows, ["import_batches"], [False, True, False, False, True, True],
                         [42, 17, 30, 28, 24, 24]))
    else:
        out.append(Para(["Chưa có lô dữ liệu nào được nhập."]))
    src = [[cap, ", ".join(f"{q}.sql" for q in qs)] for cap, qs in body.sources]
    src += [["Số liệu trong lời văn mục I, II, III", "kpi_overview.sql, cells_over_time.sql, "
             "coverage_by_unit.sql, coverage_cells.sql, report_reporting.sql"],
            ["Kết quả đánh giá (mục II.2)", ", ".join(f"{q}.sql" for q in f.evaluation.queries)
             or "–"],
            ["Tên tỉnh, xã và phạm vi", "report_communes.sql"],
            ["Các lô dữ liệu đã nhập", "import_batches.sql"]]
    out.append(Table("Truy vấn có tên sau mỗi bảng (thư mục dashboard/store/sql)",
                     ["Nội dung", "Truy vấn"], src, [], [False, False], [95, 70]))
    out.append(Para(["Mỗi truy vấn chạy lại được bằng lệnh «python -m dashboard query TÊN "
                     f"--param as_of={f.as_of.isoformat()}» hoặc xem ở mục «Xem SQL» trên trang; "
                     "số tổ cần thành lập thêm tính theo dashboard/analysis/planner.py, kết quả "
                     "đánh giá theo dashboard/analysis/evaluation.py."], italic=True))
    return out


# -- the report -------------------------------------------------------------------------------
@dataclass
class Report:
    letterhead: dfm.Letterhead
    body: list[dfm.Block]
    appendix: list[dfm.Block]
    facts: Facts
    sources: list[tuple[str, list[str]]]
    style: str
    kind: str


def build(db, as_of=None, communes=None, principal: Principal = LOCAL, style: str = "party",
          kind: str = "so_ket", today: dt.date | None = None) -> Report:
    if style not in STYLES:
        raise ReportError(f"Thể thức «{style}» không có; chọn: {', '.join(STYLES)}.")
    if kind not in KINDS:
        raise ReportError(f"Loại báo cáo «{kind}» không có; chọn: {', '.join(KINDS)}.")
    if not principal.can("export"):
        raise PermissionError("Tài khoản không có quyền tải báo cáo (cần vai trò Trình bày "
                              "trở lên).")
    as_of = queries.coerce_param("as_of", as_of) if as_of is not None else dt.date.today()
    today = today or dt.date.today()
    scope = resolve_scope(db, principal, communes, as_of)
    facts = gather(db, as_of, scope)
    lh = letterhead(scope, style, today, facts.demo, kind)
    issuer_text = issuer_in_text(scope, style)
    author = ("Đảng ủy" if style == "party" and scope.kind == "commune" else
              body_name(config.get("report_issuer")) if style == "party" else "Cơ quan")
    b = Body(facts, style, kind, author)
    where = ("tại " if scope.kind == "selection" else "trên địa bàn ") + scope.place
    from dashboard.output.slides import batches_text

    b.p("Thực hiện ", b.ph("căn cứ — các văn bản chỉ đạo về xây dựng tổ dân vận cộng đồng và "
                           "phong trào thi đua “Dân vận khéo”"),
        f", {issuer_text} báo cáo {KINDS[kind]} công tác xây dựng tổ dân vận cộng đồng và mô "
        f"hình “Dân vận khéo” {where} như sau:")
    b.blocks.append(Para([f"Số liệu trong báo cáo tính đến ngày {fmt.date(as_of)}, lấy từ cơ sở "
                          f"dữ liệu của Bảng điều khiển Dân vận — {batches_text(db)}; nguồn của "
                          "từng bảng ghi ở Phụ lục."
                          + (" Đây là dữ liệu minh họa, không phải số liệu thật."
                             if facts.demo else "")], italic=True))
    b.section_one()
    b.section_two()
    b.section_three()
    b.section_four()
    b.p(f"Trên đây là báo cáo {KINDS[kind]} công tác xây dựng tổ dân vận cộng đồng và mô hình "
        f"“Dân vận khéo” {where}./.")
    app = appendix(facts, b, lh, issuer_text)
    return Report(lh, b.blocks, app, facts, b.sources, style, kind)


def to_docx(report: Report) -> bytes:
    return dfm.render(report.letterhead, report.body, report.appendix,
                      config.get("report_font_size"))


def report_docx(db, as_of=None, communes=None, principal: Principal = LOCAL,
                style: str = "party", kind: str = "so_ket") -> bytes:
    """The .docx bytes of the draft report (see the module docstring)."""
    return to_docx(build(db, as_of, communes, principal, style, kind))


def file_name(as_of, communes=None, kind: str = "so_ket") -> str:
    """'bao-cao-so-ket-2025-06-30.docx' ('…-25111.docx' for one commune)."""
    day = queries.coerce_param("as_of", as_of) if as_of is not None else dt.date.today()
    codes = queries.coerce_param("communes", communes) or []
    tail = f"-{codes[0]}" if len(codes) == 1 else (f"-{len(codes)}-xa" if codes else "")
    return f"bao-cao-{kind.replace('_', '-')}-{day.isoformat()}{tail}.docx"


def audit_detail(as_of, communes, style: str, kind: str) -> str:
    codes = queries.coerce_param("communes", communes) or []
    day = queries.coerce_param("as_of", as_of) if as_of is not None else dt.date.today()
    return (f"report kind={kind} style={style} as_of={day.isoformat()} "
            f"communes={','.join(codes) if codes else 'all'}")

