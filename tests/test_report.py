"""The written report (dashboard/output/report.py + docformat.py): a .docx opened back with
python-docx — its format (header blocks, sections I–IV, Nơi nhận, signature, fonts, sizes,
margins), its numbers (parsed back from the text and the tables and compared with the named
queries run here at the same date), its placeholders, scope and role, the CLI and the page.

Two databases: the demo (Tỉnh Bắc Ninh) and a hand-made province, Tỉnh Lào Cai, so nothing
can be hard-coded (other numbers, another province name):

  Tỉnh Lào Cai (15)                                     at 30/09/2025
  ├─ Xã Bản Xèo (02671): Thôn Na Lốc 120 hộ, Thôn Sín Chải 80 hộ          pilot
  │    C1 Na Lốc  pilot   2024-02-10  7 người, 70 hộ   (active; > 60 hộ: overloaded)
  │    C2 Na Lốc  pilot   2024-03-05  6 người, 40 hộ   (active) → Na Lốc 110/120
  │    C3 Sín Chải rollout 2025-01-15 5 người, 30 hộ   (active) → Sín Chải 30/80 (< 50 %)
  ├─ Phường Cam Đường (02674): Tổ dân phố Bắc Cường 300 hộ               rollout
  │    C4 rollout 2024-11-20 8 người, 45 hộ; C5 rollout 2025-02-01 6 người, 40 hộ (active)
  │    C6 rollout 2024-12-01 ended 2025-06-01; C7 rollout 2025-12-01 (not yet)
  │    → Bắc Cường 85/300 = 28,33 % (< 50 %)
  └─ Xã Mường Khương (02677): Thôn Pạc Ngam 90 hộ, no cell                none
  5 cells, 32 members, 590 households, 225 covered → 38,14 %; communes with cells 2/3,
  villages with cells 3/4; pilot 200 hộ 140 covered 70 %, rollout 300 hộ 85 covered 28,33 %.
  Indicators reported up to 09/2025 by Bản Xèo and Cam Đường, Mường Khương stops at 08/2025:
  the latest period is 09/2025 and Mường Khương has not reported it.
  Models: M1 economy (Bản Xèo, active), M2 political_system (province, starts 2025-10-01).
"""
from __future__ import annotations

import datetime as dt
import io
import math
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from docx import Document
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml.ns import qn

from dashboard import config, store
from dashboard.access.principal import LOCAL, Principal
from dashboard.analysis import evaluation, planner
from dashboard.contract import FIELDS, enum_label
from dashboard.i18n import fmt
from dashboard.output import report
from dashboard.store import queries

ROOT = Path(__file__).resolve().parent.parent
DEMO_AS_OF = dt.date(2025, 6, 30)
LC_AS_OF = dt.date(2025, 9, 30)


# -- databases --------------------------------------------------------------------------------
def _insert(db, table: str, rows: list[dict]) -> None:
    frame = pd.DataFrame(rows)
    cur = db.cursor()
    try:
        cur.register("frame", frame)
        cur.execute(f"INSERT INTO {table} ({', '.join(frame.columns)}) SELECT * FROM frame")
    finally:
        cur.close()


def build_lao_cai(path: Path) -> None:
    db = store.Database(path)
    d = dt.date
    _insert(db, "units", [
        dict(unit_code="15", unit_name="Tỉnh Lào Cai", level="province", parent_code=None,
             households=None),
        dict(unit_code="02671", unit_name="Xã Bản Xèo", level="commune", parent_code="15",
             households=None),
        dict(unit_code="02674", unit_name="Phường Cam Đường", level="commune", parent_code="15",
             households=None),
        dict(unit_code="02677", unit_name="Xã Mường Khương", level="commune", parent_code="15",
             households=None),
        dict(unit_code="LC1", unit_name="Thôn Na Lốc", level="village", parent_code="02671",
             households=120),
        dict(unit_code="LC2", unit_name="Thôn Sín Chải", level="village", parent_code="02671",
             households=80),
        dict(unit_code="LC3", unit_name="Tổ dân phố Bắc Cường", level="village",
             parent_code="02674", households=300),
        dict(unit_code="LC4", unit_name="Thôn Pạc Ngam", level="village", parent_code="02677",
             households=90),
    ])
    base = dict(cell_type="Tổ dân vận cộng đồng", ended_on=None, tasks=None)
    _insert(db, "cells", [
        {**base, "cell_id": "C1", "cell_name": "Tổ Na Lốc thượng", "unit_code": "LC1",
         "phase": "pilot", "established_on": d(2024, 2, 10), "members": 7,
         "households_covered": 70},
        {**base, "cell_id": "C2", "cell_name": "Tổ Na Lốc hạ", "unit_code": "LC1",
         "phase": "pilot", "established_on": d(2024, 3, 5), "members": 6,
         "households_covered": 40},
        {**base, "cell_id": "C3", "cell_name": "Tổ Sín Chải", "unit_code": "LC2",
         "phase": "rollout", "established_on": d(2025, 1, 15), "members": 5,
         "households_covered": 30},
        {**base, "cell_id": "C4", "cell_name": "Tổ Bắc Cường A", "unit_code": "LC3",
         "phase": "rollout", "established_on": d(2024, 11, 20), "members": 8,
         "households_covered": 45},
        {**base, "cell_id": "C5", "cell_name": "Tổ Bắc Cường B", "unit_code": "LC3",
         "phase": "rollout", "established_on": d(2025, 2, 1), "members": 6,
         "households_covered": 40},
        {**base, "cell_id": "C6", "cell_name": "Tổ Bắc Cường C", "unit_code": "LC3",
         "phase": "rollout", "established_on": d(2024, 12, 1), "members": 5,
         "households_covered": 35, "ended_on": d(2025, 6, 1)},
        {**base, "cell_id": "C7", "cell_name": "Tổ Bắc Cường D", "unit_code": "LC3",
         "phase": "rollout", "established_on": d(2025, 12, 1), "members": 5,
         "households_covered": 35},
    ])
    model = dict(owner=None, recognized_level=None, households_reached=None, latitude=None,
                 longitude=None, description=None, ended_on=None)
    _insert(db, "models", [
        {**model, "model_id": "M1", "model_name": "Bản sạch, bản đẹp", "field": "economy",
         "level": "commune", "unit_code": "02671", "started_on": d(2024, 5, 1)},
        {**model, "model_id": "M2", "model_name": "Dân vận khéo vùng cao",
         "field": "political_system", "level": "province", "unit_code": "15",
         "started_on": d(2025, 10, 1)},
    ])
    rows = []
    for code, last in (("02671", 9), ("02674", 9), ("02677", 8)):
        for m in range(1, last + 1):
            rows.append(dict(unit_code=code, period=f"2025-{m:02d}",
                             indicator="feedback_received", value=float(m % 4 + 1)))
    _insert(db, "indicators", rows)
    _insert(db, "batches", [
        dict(batch_id=1, created_at=dt.datetime(2025, 8, 20, 9), dataset="units",
             file_name="don_vi.xlsx", rows_new=8, rows_updated=0, status="committed"),
        dict(batch_id=2, created_at=dt.datetime(2025, 9, 1, 10), dataset="cells",
             file_name="to_dan_van.xlsx", rows_new=7, rows_updated=0, status="committed"),
        dict(batch_id=3, created_at=dt.datetime(2025, 9, 2, 10), dataset="cells",
             file_name="sai.xlsx", rows_new=3, rows_updated=0, status="rolled_back"),
        dict(batch_id=4, created_at=dt.datetime(2025, 10, 3, 8), dataset="indicators",
             file_name="chi_so.csv", rows_new=26, rows_updated=2, status="committed"),
    ])
    db.close()


@pytest.fixture(scope="module")
def demo(demo_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("report_demo") / "demo.duckdb"
    shutil.copy(demo_db, path)
    db = store.Database(path, read_only=True)
    yield db
    db.close()


@pytest.fixture(scope="module")
def lao_cai(tmp_path_factory):
    path = tmp_path_factory.mktemp("report_lc") / "lc.duckdb"
    build_lao_cai(path)
    db = store.Database(path, read_only=True)
    yield db
    db.close()


def _first_commune_with_cells(db, as_of) -> str:
    cov = queries.run(db, "coverage_by_unit", level="commune", as_of=as_of)
    return str(cov[cov.cells > 0].sort_values("unit_code").unit_code.iloc[0])


@pytest.fixture(scope="module")
def demo_docs(demo):
    code = _first_commune_with_cells(demo, DEMO_AS_OF)
    return {
        "province": Document(io.BytesIO(report.report_docx(demo, DEMO_AS_OF))),
        "commune": Document(io.BytesIO(report.report_docx(demo, DEMO_AS_OF, [code]))),
        "code": code,
    }


@pytest.fixture(scope="module")
def lc_doc(lao_cai):
    return Document(io.BytesIO(report.report_docx(lao_cai, LC_AS_OF)))


# -- reading a document back ------------------------------------------------------------------
def body_paragraphs(doc) -> list[str]:
    """The body's paragraphs (outside tables) up to the appendix."""
    out = []
    for p in doc.paragraphs:
        if p.text.strip() == "PHỤ LỤC":
            break
        out.append(p.text)
    return out


def tables_by_caption(doc) -> dict[str, list[list[str]]]:
    """Every captioned table: caption paragraph → its rows of cell texts."""
    out, caption = {}, None
    for el in doc.element.body.iterchildren():
        if el.tag == qn("w:p"):
            text = "".join(t.text or "" for t in el.iter(qn("w:t"))).strip()
            if text:
                caption = text
        elif el.tag == qn("w:tbl"):
            from docx.table import Table

            t = Table(el, doc)
            rows = [[c.text for c in r.cells] for r in t.rows]
            if caption and caption.startswith("Bảng") or caption and "lô dữ liệu" in caption \
                    or caption and caption.startswith("Truy vấn"):
                out[caption] = rows
            caption = None
    return out


def find_table(doc, start: str) -> list[list[str]]:
    tabs = tables_by_caption(doc)
    hits = [v for k, v in tabs.items() if re.sub(r"^Bảng \d+\. ", "", k).startswith(start)]
    assert hits, (start, list(tabs))
    return hits[0]


def body_tables(doc) -> list[list[list[str]]]:
    """Captioned tables of the body (before the appendix)."""
    tabs = tables_by_caption(doc)
    return [v for k, v in tabs.items() if k.startswith("Bảng")]


STRIP = [r"\d{2}/\d{2}/\d{4}", r"\d{2}–\d{2}/\d{4}", r"\d{2}/\d{4}", r"quý [IV]+/\d{4}",
         r"năm \d{4}", r"#\d+", r"^\s*(?:[IV]+|\d+)\.\s", r"Bảng \d+\.", r"\d{4}-\d{2}-\d{2}"]
TOKEN = re.compile(r"\d[\d.]*(?:,\d+)?%?")


def numbers_in(text: str, names: list[str]) -> list[tuple[float, int, str]]:
    """(value, decimals, token) of every number in a text, after removing dates, months,
    numbering and the names of units and cells (which may hold digits)."""
    for n in names:
        text = text.replace(n, " ")
    for pat in STRIP:
        text = re.sub(pat, " ", text, flags=re.M)
    out = []
    for tok in TOKEN.findall(text):
        tok = tok.rstrip(".")
        raw = tok.rstrip("%")
        whole, _, dec = raw.partition(",")
        value = float(whole.replace(".", "") + ("." + dec if dec else ""))
        out.append((value, len(dec), tok))
    return out


def _numeric_leaves(obj, out: set) -> None:
    if isinstance(obj, dict):
        for v in obj.values():
            _numeric_leaves(v, out)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _numeric_leaves(v, out)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        if not math.isnan(float(obj)):
            out.add(float(obj))
            out.add(abs(float(obj)))
    elif hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        try:
            _numeric_leaves(obj.item(), out)
        except (TypeError, ValueError):
            pass


def _frame_numbers(df: pd.DataFrame, out: set) -> None:
    for c in df.columns:
        if pd.api.types.is_numeric_dtype(df[c]):
            for v in df[c].dropna():
                out.add(float(v))


def allowed_numbers(db, as_of, communes) -> tuple[set, list[str]]:
    """Every value the named queries (and the analysis over them) give at as_of for these
    communes, plus counts derived from them here, plus the configured norms; and the names."""
    p = {"as_of": as_of, "communes": communes}
    vals: set = set()
    frames = {name: queries.run(db, name, **p) for name in
              ("kpi_overview", "pilot_vs_rollout", "cells_over_time", "coverage_cells",
               "models_by_field", "report_reporting")}
    frames["communes"] = queries.run(db, "coverage_by_unit", level="commune", **p)
    frames["villages"] = queries.run(db, "coverage_by_unit", level="village", **p)
    frames["eval_commune_starts"] = queries.run(db, "eval_commune_starts", **p)
    for df in frames.values():
        _frame_numbers(df, vals)
    cov, vil, cells = frames["communes"], frames["villages"], frames["coverage_cells"]
    mbf, rep = frames["models_by_field"], frames["report_reporting"]
    # counts and sums derived from the query rows
    has = cov.cells > 0
    pct = cov.coverage_pct.astype(float)
    cuts = sorted({float(config.get(k)) for k in ("good_coverage_pct", "report_low_coverage_pct",
                                                  "report_very_low_coverage_pct")})
    edges = [0.0, *cuts, 1e9]
    bounds = list(zip(edges[:-1], edges[1:]))
    for lo, hi in bounds:
        g = cov[has & (pct >= lo) & (pct < hi)]
        vals |= {len(g), float(g.households.sum()), float(g.households_covered.sum())}
    g = cov[~has]
    vals |= {len(cov), int(has.sum()), int((~has).sum()), float(g.households.sum()),
             int((has & (pct >= config.get("good_coverage_pct"))).sum()),
             float(cov.households.sum()), float(cov.households_covered.sum())}
    nov = vil[(vil.cells == 0) & (vil.households > 0)]
    low = vil[(vil.cells > 0) & (vil.households > 0)
              & (vil.coverage_pct < config.get("report_low_coverage_pct"))]
    vals |= {len(nov), float(nov.households.sum()), len(low), len(vil),
             float(vil.households.sum()), float(vil.cells.sum()), float(vil.members.sum()),
             float(vil.households_covered.sum())}
    over = cells[cells.households_covered > config.get("overload_households")]
    vals |= {len(over), len(cells)}
    vals |= {float(mbf.models.sum()), float(mbf.active_models.sum())}
    vals |= {len(rep), int((rep.reports_in_period == 0).sum())}
    target, hpc = config.get("target_coverage_pct"), config.get("households_per_cell")
    vplan = planner.plan_villages(vil, target, hpc)
    cplan = planner.plan_communes(cov, vplan, target, hpc)
    _numeric_leaves(planner.plan_total(cplan), vals)
    for df in (vplan, cplan):
        _frame_numbers(df, vals)
    need_c, need_v = cplan[cplan.new_cells > 0], vplan[vplan.new_cells > 0]
    vals |= {len(need_c), len(need_v), float(need_c.villages_needing_cells.sum()),
             float(need_v.households.sum()), float(need_v.uncovered_households.sum()),
             float(need_v.new_cells.sum()),
             min(config.get("report_names_listed"), len(need_c))}
    # the evaluation's findings (its public API over the eval_* named queries)
    _numeric_leaves(evaluation.key_findings(db, as_of, communes), vals)
    # committed import batches
    b = queries.run(db, "import_batches")
    b = b[b.status == "committed"]
    vals |= {len(b)}
    for _, g in b.groupby("dataset"):
        vals |= {len(g), float(g.rows_new.fillna(0).sum()), float(g.rows_updated.fillna(0).sum())}
    # configured norms, the interval level, names listed
    vals |= {float(config.get(k)) for k in ("good_coverage_pct", "report_low_coverage_pct",
                                            "report_very_low_coverage_pct",
                                            "overload_households", "households_per_cell",
                                            "target_coverage_pct", "report_names_listed")}
    vals |= {95.0, 0.0}
    names = sorted(set(db.df("SELECT unit_name FROM units").unit_name)
                   | set(db.df("SELECT cell_name FROM cells").cell_name)
                   | set(db.df("SELECT model_name FROM models").model_name), key=len,
                   reverse=True)
    return vals, names


def _matches(value: float, decimals: int, allowed: set) -> bool:
    tol = 0.5 * 10 ** -decimals + 1e-9
    return any(abs(value - v) <= tol for v in allowed)


def assert_every_number_from_queries(doc, db, as_of, communes) -> int:
    allowed, names = allowed_numbers(db, as_of, communes)
    texts = body_paragraphs(doc) + [c for t in body_tables(doc) for row in t for c in row]
    bad, seen = [], 0
    for text in texts:
        for value, dec, tok in numbers_in(text, names):
            seen += 1
            if not _matches(value, dec, allowed):
                bad.append((tok, text[:120]))
    assert not bad, bad
    return seen


# -- format -----------------------------------------------------------------------------------
def test_party_header_title_sections_closing(demo_docs):
    doc = demo_docs["province"]
    head = doc.tables[0]
    left, right = head.cell(0, 0), head.cell(0, 1)
    assert [p.text for p in left.paragraphs] == ["TỈNH ỦY BẮC NINH", "BAN DÂN VẬN", "*"]
    assert left.paragraphs[1].runs[0].bold and not left.paragraphs[0].runs[0].bold
    title = right.paragraphs[0].runs[0]
    assert right.paragraphs[0].text == "ĐẢNG CỘNG SẢN VIỆT NAM"
    assert title.bold and title.underline and title.font.size.pt == 15
    assert head.cell(1, 0).text == "Số …-BC/BDVTU"
    date = head.cell(1, 1).paragraphs[0]
    assert re.fullmatch(r"Bắc Ninh, ngày … tháng … năm \d{4}", date.text)
    assert date.runs[0].italic
    paras = [p.text for p in doc.paragraphs]
    i = paras.index("BÁO CÁO")
    assert doc.paragraphs[i].runs[0].bold and doc.paragraphs[i].runs[0].font.size.pt == 16
    assert paras[i + 1].startswith("sơ kết công tác xây dựng tổ dân vận cộng đồng")
    assert paras[i + 2].endswith("trên địa bàn tỉnh Bắc Ninh")
    heads = [p for p in paras if re.match(r"^(I|II|III|IV)\. ", p)]
    assert heads == ["I. TÌNH HÌNH TRIỂN KHAI", "II. KẾT QUẢ", "III. TỒN TẠI, HẠN CHẾ",
                     "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ VÀ KIẾN NGHỊ"]
    assert paras.index(heads[0]) < paras.index(heads[1]) < paras.index(heads[2]) \
        < paras.index(heads[3]) < paras.index("PHỤ LỤC")
    closing = next(t for t in doc.tables if t.cell(0, 0).paragraphs[0].text == "Nơi nhận:")
    recv = closing.cell(0, 0).paragraphs
    assert recv[0].runs[0].underline
    assert [p.text for p in recv[1:]] == ["- Thường trực Tỉnh ủy (để báo cáo),",
                                          "- [Ban Dân vận bổ sung: nơi nhận khác]",
                                          "- Lưu Văn phòng Ban."]
    sign = [p.text for p in closing.cell(0, 1).paragraphs if p.text]
    assert sign == ["T/M BAN DÂN VẬN", "TRƯỞNG BAN", "[Họ và tên người ký]"]
    # the closing comes after section IV and before the appendix
    body = doc.element.body
    order = list(body.iterchildren())
    assert order.index(closing._tbl) > order.index(
        next(p for p in doc.paragraphs if p.text.startswith("IV."))._p)
    assert order.index(closing._tbl) < order.index(
        next(p for p in doc.paragraphs if p.text == "PHỤ LỤC")._p)
    # draft mark and demo warning in the first page's header, page numbers on the others
    sec = doc.sections[0]
    assert sec.different_first_page_header_footer
    assert sec.first_page_header.paragraphs[0].text == "DỰ THẢO"
    assert "minh họa" in sec.first_page_header.paragraphs[1].text
    assert "PAGE" in sec.header._element.xml


def test_page_margins_fonts_and_sizes(demo_docs):
    doc = demo_docs["province"]
    s = doc.sections[0]
    assert round(s.page_width.mm) == 210 and round(s.page_height.mm) == 297
    assert 20 <= round(s.top_margin.mm) <= 25 and 20 <= round(s.bottom_margin.mm) <= 25
    assert 30 <= round(s.left_margin.mm) <= 35 and 15 <= round(s.right_margin.mm) <= 20
    runs = [r for p in doc.paragraphs for r in p.runs]
    runs += [r for t in doc.tables for row in t.rows for c in row.cells
             for p in c.paragraphs for r in p.runs]
    assert runs
    for r in runs:
        fonts = r._element.rPr.find(qn("w:rFonts"))
        assert {fonts.get(qn(a)) for a in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")} \
            == {"Times New Roman"}, r.text
        assert 11 <= r.font.size.pt <= 16, (r.text, r.font.size.pt)
    normal = doc.styles["Normal"].font
    assert normal.name == "Times New Roman" and 13 <= normal.size.pt <= 14
    # body text (outside tables) at 13–14 pt, except title (16), Party heading (15) and notes
    body = [r for p in doc.paragraphs for r in p.runs if r.text.strip()]
    sizes = [r.font.size.pt for r in body]
    assert sum(13 <= x <= 14 for x in sizes) / len(sizes) > 0.9
    heading = next(p for p in doc.paragraphs if p.text == "II. KẾT QUẢ")
    assert heading.runs[0].bold and heading.runs[0].font.size.pt == 14


def test_placeholders_are_marked_and_nothing_else_is_highlighted(demo_docs):
    doc = demo_docs["province"]
    runs = [r for p in doc.paragraphs for r in p.runs]
    runs += [r for t in doc.tables for row in t.rows for c in row.cells
             for p in c.paragraphs for r in p.runs]
    marked = [r.text for r in runs if r.font.highlight_color == WD_COLOR_INDEX.YELLOW]
    assert len(marked) >= 8
    assert all(t.startswith("[") and t.endswith("]") for t in marked), marked
    assert all("bổ sung" in t or t == "[Họ và tên người ký]" for t in marked), marked
    for must in ("khó khăn, vướng mắc", "kiến nghị, đề xuất", "căn cứ"):
        assert any(must in t for t in marked), must
    plain = " ".join(r.text for r in runs if r.font.highlight_color != WD_COLOR_INDEX.YELLOW)
    assert "[" not in plain


def test_vietnamese_text_survives(demo_docs, tmp_path):
    doc = demo_docs["province"]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert unicodedata.is_normalized("NFC", text)
    for word in ("ĐẢNG CỘNG SẢN VIỆT NAM", "TÌNH HÌNH TRIỂN KHAI", "TỒN TẠI, HẠN CHẾ",
                 "Độ phủ hộ gia đình", "Mô hình “Dân vận khéo”", "Khó khăn, vướng mắc",
                 "thành viên", "Quốc phòng – an ninh"):
        assert word in text or any(word in c.text for t in doc.tables for r in t.rows
                                   for c in r.cells), word
    # and through a save / reopen
    path = tmp_path / "r.docx"
    doc.save(path)
    again = Document(path)
    assert "\n".join(p.text for p in again.paragraphs) == text


# -- numbers ----------------------------------------------------------------------------------
def _kpi_sentence(doc) -> str:
    return next(p for p in body_paragraphs(doc) if p.startswith("Tính đến ngày"))


def test_every_number_of_the_province_report_is_a_query_value(demo_docs, demo):
    seen = assert_every_number_from_queries(demo_docs["province"], demo, DEMO_AS_OF, None)
    assert seen > 150


def test_every_number_of_the_commune_report_is_a_query_value(demo_docs, demo):
    code = demo_docs["code"]
    seen = assert_every_number_from_queries(demo_docs["commune"], demo, DEMO_AS_OF, [code])
    assert seen > 40


def test_every_number_of_the_second_province_is_a_query_value(lc_doc, lao_cai):
    assert_every_number_from_queries(lc_doc, lao_cai, LC_AS_OF, None)


def test_key_figures_and_tables_equal_the_named_queries(demo_docs, demo):
    doc = demo_docs["province"]
    k = queries.run(demo, "kpi_overview", as_of=DEMO_AS_OF).iloc[0]
    n = fmt.number
    assert _kpi_sentence(doc) == (
        f"Tính đến ngày 30/06/2025, toàn tỉnh có {n(k.cells)} tổ dân vận cộng đồng đang hoạt "
        f"động với {n(k.members)} thành viên, ở {n(k.communes_with_cells)}/{n(k.communes)} xã, "
        f"phường và {n(k.villages_with_cells)}/{n(k.villages)} thôn, tổ dân phố; các tổ phụ "
        f"trách {n(k.households_covered)}/{n(k.households)} hộ gia đình, đạt "
        f"{fmt.percent(k.coverage_pct)} số hộ.")
    pvr = queries.run(demo, "pilot_vs_rollout", as_of=DEMO_AS_OF)
    t = find_table(doc, "Kết quả theo giai đoạn triển khai")
    label = {"pilot": "Xã thí điểm", "rollout": "Xã nhân rộng", "none": "Xã chưa có tổ"}
    assert t[1:-1] == [[label[r.phase], n(r.communes), n(r.cells), n(r.members),
                        fmt.fixed(r.members_per_cell, 1), n(r.households),
                        n(r.households_covered), fmt.percent(r.coverage_pct)]
                       for r in pvr.itertuples()]
    assert t[-1] == ["Cộng", n(k.communes), n(k.cells), n(k.members), "", n(k.households),
                     n(k.households_covered), fmt.percent(k.coverage_pct)]
    mbf = queries.run(demo, "models_by_field", as_of=DEMO_AS_OF)
    t = find_table(doc, "Mô hình “Dân vận khéo” theo lĩnh vực")
    assert t[1:] == [[enum_label(FIELDS, r.field), n(r.models), n(r.active_models)]
                     for r in mbf.itertuples()] + [["Cộng", n(mbf.models.sum()),
                                                    n(mbf.active_models.sum())]]
    # the cohorts, regrouped here from eval_commune_starts by quarter of the first cell
    starts = queries.run(demo, "eval_commune_starts", as_of=DEMO_AS_OF)
    starts["started_on"] = pd.to_datetime(starts.started_on)
    t = find_table(doc, "Kết quả theo đợt triển khai")
    shown = {r[0]: r[2:] for r in t[1:]}
    roll = starts[starts.phase == "rollout"]
    groups = {"Thí điểm": starts[starts.phase == "pilot"],
              "Chưa bắt đầu": starts[starts.phase == "none"]}
    roman = {1: "I", 2: "II", 3: "III", 4: "IV"}
    for (y, q), g in roll.groupby([roll.started_on.dt.year, roll.started_on.dt.quarter]):
        groups[f"Nhân rộng quý {roman[q]}/{y}"] = g
    assert set(shown) == set(groups)
    for key, g in groups.items():
        hh, cov = g.households.sum(), g.households_covered.sum()
        assert shown[key] == [n(len(g)), n(g.cells.sum()), n(g.members.sum()), n(hh), n(cov),
                              fmt.percent(round(100 * cov / hh, 2) if hh else 0)], key
    # the planner's totals
    cov = queries.run(demo, "coverage_by_unit", level="commune", as_of=DEMO_AS_OF)
    vil = queries.run(demo, "coverage_by_unit", level="village", as_of=DEMO_AS_OF)
    cplan = planner.plan_communes(cov, planner.plan_villages(vil))
    total = planner.plan_total(cplan)
    t = find_table(doc, "Các xã, phường cần thành lập thêm")
    assert t[-1][2:] == [n(total["uncovered_households"]),
                         n(cplan[cplan.new_cells > 0].villages_needing_cells.sum()),
                         n(total["new_cells"])]
    assert [r[1] for r in t[1:-1]] == cplan[cplan.new_cells > 0].unit_name.head(10).tolist()


def test_evaluation_findings_carry_their_labels_and_intervals(demo_docs, demo):
    paras = body_paragraphs(demo_docs["province"])
    found = evaluation.key_findings(demo, DEMO_AS_OF)
    h = found["horizon"]
    for key, who in (("pilot", "các xã thí điểm"), ("rollout", "các xã nhân rộng")):
        c = found["coverage_at_horizon"][key]
        line = next(p for p in paras if p.startswith(f"- Sau {h} tháng kể từ khi bắt đầu, {who}"))
        assert f"có {fmt.percent(c['coverage_pct'])} số hộ" in line
        if c["ci_low"] != c["ci_low"]:       # too few communes: no interval, said so
            assert "chưa tính được khoảng tin cậy vì quá ít xã" in line
            continue
        assert f"thấp đến {fmt.percent(c['ci_low'])} hoặc cao đến {fmt.percent(c['ci_high'])}" \
            in line
        label = (c.get("evidence") or c.get("design") or {}).get("label")
        if label:
            assert label.lower().replace("bằng chứng ", "") in line.lower()
    main = next(d for d in found["did"] if d["cohort"] == "all_started")
    line = next(p for p in paras if p.startswith("- Chỉ số «"))
    assert f"khoảng {fmt.fixed(abs(main['estimate']), 2)}" in line
    if main["ci_low"] == main["ci_low"]:     # an interval is given only when it is valid
        assert fmt.fixed(abs(main["ci_low"]), 2) in line
        assert fmt.fixed(abs(main["ci_high"]), 2) in line


def test_adapter_reads_two_labels_when_the_evaluation_gives_them(monkeypatch, demo):
    """The evaluation is being rewritten to give a design-quality label beside the evidence
    label; the one adapter shows both."""
    def fake(db, as_of, communes=None, **kw):
        return {"horizon": 12, "indicator": "feedback_received", "cohorts": [],
                "coverage_at_horizon": {"pilot": {
                    "coverage_pct": 40.0, "communes": 2, "ci_low": float("nan"),
                    "ci_high": float("nan"), "design": {"label": "Thiết kế yếu"},
                    "evidence": {"label": "Không có bằng chứng"}}},
                "survival_at_horizon": {}, "did": []}
    monkeypatch.setattr(evaluation, "key_findings", fake)
    ev = report.evaluation_findings(demo, DEMO_AS_OF, None)
    cov = ev.findings[0]
    assert cov.labels == [("Chất lượng thiết kế", "Thiết kế yếu"),
                          ("Mức bằng chứng", "Không có bằng chứng")]
    assert cov.interval == "chưa tính được khoảng tin cậy vì quá ít xã"
    assert "chưa đủ số liệu" in ev.findings[1].text

    def broken(*a, **kw):
        raise RuntimeError("boom")
    monkeypatch.setattr(evaluation, "key_findings", broken)
    ev = report.evaluation_findings(demo, DEMO_AS_OF, None)
    assert not ev.available and ev.findings == []


@pytest.mark.parametrize("lo, hi, expected", [
    (-0.9, -0.44, "mức giảm thực có thể từ 0,44 đến 0,90"),
    (0.1, 0.5, "mức tăng thực có thể từ 0,10 đến 0,50"),
    (-0.47, 0.70, "từ giảm 0,47 đến tăng 0,70 (khoảng tin cậy 95%), nên chưa loại trừ"),
    (-0.47, 0.0, "từ giảm 0,47 đến tăng 0,00"),     # an interval touching 0 excludes nothing
])
def test_change_interval_in_words(lo, hi, expected):
    assert expected in report._change_interval(lo, hi)


# -- the second province: nothing hard-coded --------------------------------------------------
def test_second_province_other_name_other_numbers(lc_doc, demo_docs):
    doc = lc_doc
    head = doc.tables[0]
    assert head.cell(0, 0).paragraphs[0].text == "TỈNH ỦY LÀO CAI"
    assert head.cell(1, 1).text.startswith("Lào Cai, ngày … tháng … năm ")
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Bắc Ninh" not in text and "Bắc Ninh" not in " ".join(
        c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "trên địa bàn tỉnh Lào Cai" in text
    assert not doc.sections[0].first_page_header.paragraphs[-1].text.startswith("Số liệu minh")
    # hand-computed (module docstring)
    assert _kpi_sentence(doc) == (
        "Tính đến ngày 30/09/2025, toàn tỉnh có 5 tổ dân vận cộng đồng đang hoạt động với 32 "
        "thành viên, ở 2/3 xã, phường và 3/4 thôn, tổ dân phố; các tổ phụ trách 225/590 hộ gia "
        "đình, đạt 38,1% số hộ.")
    paras = body_paragraphs(doc)
    assert "- 1/3 xã, phường chưa thành lập tổ dân vận cộng đồng: Xã Mường Khương." in paras
    assert ("- 1/4 thôn, tổ dân phố có hộ dân nhưng chưa có tổ, với 90 hộ; 2 thôn, tổ dân phố "
            "đã có tổ nhưng độ phủ dưới 50%.") in paras
    assert ("- 1/5 tổ phụ trách trên 60 hộ, quá sức một tổ; nhiều nhất là Tổ Na Lốc thượng "
            "(Thôn Na Lốc, Xã Bản Xèo) với 70 hộ.") in paras
    assert ("- Kỳ báo cáo gần nhất (tháng 09/2025): 1/3 xã, phường chưa gửi số liệu chỉ số kết "
            "quả: Xã Mường Khương.") in paras
    t = find_table(doc, "Kết quả theo giai đoạn triển khai")
    assert t[1] == ["Xã thí điểm", "1", "3", "18", "6,0", "200", "140", "70,0%"]
    assert t[2] == ["Xã nhân rộng", "1", "2", "14", "7,0", "300", "85", "28,3%"]
    assert t[-1] == ["Cộng", "3", "5", "32", "", "590", "225", "38,1%"]
    t = find_table(doc, "Mô hình “Dân vận khéo” theo lĩnh vực")
    assert t[-1] == ["Cộng", "2", "1"]
    # the appendix: committed batches per dataset (the rolled-back one is left out)
    t = find_table(doc, "Các lô dữ liệu đã nhập")
    assert t[1:] == [["Đơn vị hành chính, thôn", "1", "#1", "20/08/2025", "8", "0"],
                     ["Tổ dân vận", "1", "#2", "01/09/2025", "7", "0"],
                     ["Chỉ số kết quả", "1", "#4", "03/10/2025", "26", "2"]]
    src = find_table(doc, "Truy vấn có tên")
    joined = " ".join(c for r in src for c in r)
    for q in ("pilot_vs_rollout.sql", "kpi_overview.sql", "models_by_field.sql",
              "coverage_by_unit.sql", "eval_commune_starts.sql", "import_batches.sql"):
        assert q in joined
    assert _kpi_sentence(doc) != _kpi_sentence(demo_docs["province"])


def test_no_reporting_data_is_said_so(tmp_path):
    path = tmp_path / "no_ind.duckdb"
    build_lao_cai(path)
    db = store.Database(path)
    db.df("DELETE FROM indicators")
    doc = Document(io.BytesIO(report.report_docx(db, LC_AS_OF)))
    db.close()
    assert ("- Chưa có số liệu báo cáo chỉ số kết quả của các xã, phường trong hệ thống, nên "
            "chưa xác định được xã, phường nào chưa gửi báo cáo.") in body_paragraphs(doc)


def test_all_reported_and_boundary_of_the_overload_limit(tmp_path):
    """A cell at exactly the limit (60) is not overloaded; 61 is. Every commune reporting in
    the latest period is said so."""
    path = tmp_path / "edge.duckdb"
    build_lao_cai(path)
    db = store.Database(path)
    db.df("UPDATE cells SET households_covered = 60 WHERE cell_id = 'C1'")
    db.df("INSERT INTO indicators VALUES ('02677', '2025-09', 'feedback_received', 1)")
    paras = body_paragraphs(Document(io.BytesIO(report.report_docx(db, LC_AS_OF))))
    assert "- Không có tổ nào phụ trách trên 60 hộ." in paras
    assert ("- Kỳ báo cáo gần nhất (tháng 09/2025): tất cả 3 xã, phường đã gửi số liệu chỉ số "
            "kết quả.") in paras
    db.df("UPDATE cells SET households_covered = 61 WHERE cell_id = 'C1'")
    paras = body_paragraphs(Document(io.BytesIO(report.report_docx(db, LC_AS_OF))))
    db.close()
    assert any(p.startswith("- 1/5 tổ phụ trách trên 60 hộ") for p in paras)


def test_a_cell_founded_on_as_of_counts(lao_cai):
    """as_of equal to a founding date: the cell is active (established_on ≤ as_of)."""
    doc = Document(io.BytesIO(report.report_docx(lao_cai, dt.date(2025, 2, 1))))
    k = queries.run(lao_cai, "kpi_overview", as_of=dt.date(2025, 2, 1)).iloc[0]
    assert int(k.cells) == 6        # C1–C6 (C5 founded that day, C6 not yet ended)
    assert "có 6 tổ dân vận cộng đồng đang hoạt động" in _kpi_sentence(doc)
    doc = Document(io.BytesIO(report.report_docx(lao_cai, dt.date(2025, 1, 31))))
    assert "có 5 tổ dân vận cộng đồng đang hoạt động" in _kpi_sentence(doc)


# -- commune report, scope and role -----------------------------------------------------------
def test_commune_report_is_about_that_commune(demo_docs, demo):
    doc, code = demo_docs["commune"], demo_docs["code"]
    units = queries.run(demo, "report_communes", as_of=DEMO_AS_OF)
    name = units.set_index("unit_code").unit_name[code]
    head = doc.tables[0]
    assert head.cell(0, 0).paragraphs[0].text == "ĐẢNG BỘ TỈNH BẮC NINH"
    assert head.cell(0, 0).paragraphs[1].text == f"ĐẢNG ỦY {name.upper()}"
    assert head.cell(1, 0).text == "Số …-BC/ĐU"
    assert head.cell(1, 1).text.startswith(f"{report.short_name(name)}, ngày")
    paras = [p.text for p in doc.paragraphs]
    assert any(p.endswith(f"trên địa bàn {report.in_text(name)}") for p in paras)
    body = " ".join(body_paragraphs(doc))
    others = [n for c, n in zip(units.unit_code, units.unit_name) if c != code]
    assert not [o for o in others if re.search(rf"\b{re.escape(o)}\b", body)]
    k = queries.run(demo, "kpi_overview", as_of=DEMO_AS_OF, communes=[code]).iloc[0]
    assert (f"có {fmt.number(k.cells)} tổ dân vận cộng đồng đang hoạt động với "
            f"{fmt.number(k.members)} thành viên; {fmt.number(k.villages_with_cells)}/"
            f"{fmt.number(k.villages)} thôn") in _kpi_sentence(doc)
    vil = queries.run(demo, "coverage_by_unit", level="village", as_of=DEMO_AS_OF,
                      communes=[code])
    t = find_table(doc, "Độ phủ theo thôn, tổ dân phố")
    assert [r[0] for r in t[1:-1]] == vil.unit_name.tolist()
    assert [r[5] for r in t[1:-1]] == [fmt.percent(v) for v in vil.coverage_pct]
    closing = next(t for t in doc.tables if t.cell(0, 0).paragraphs[0].text == "Nơi nhận:")
    assert [p.text for p in closing.cell(0, 1).paragraphs if p.text][:2] == ["T/M ĐẢNG ỦY",
                                                                            "BÍ THƯ"]


def test_scope_and_role(demo):
    code = _first_commune_with_cells(demo, DEMO_AS_OF)
    scoped = Principal("xa", "presenter", (code,))
    r = report.build(demo, DEMO_AS_OF, None, scoped)
    assert r.facts.scope.kind == "commune" and r.facts.scope.communes == [code]
    province = report.build(demo, DEMO_AS_OF, None, Principal("tinh", "presenter", ("24",)))
    assert province.facts.scope.kind == "province"
    with pytest.raises(PermissionError):
        report.build(demo, DEMO_AS_OF, None, Principal("v", "viewer", None))
    other = queries.run(demo, "report_communes", as_of=DEMO_AS_OF)
    other = other[other.unit_code != code].unit_code.iloc[0]
    with pytest.raises(PermissionError):
        report.build(demo, DEMO_AS_OF, [other], scoped)
    with pytest.raises(PermissionError):
        report.build(demo, DEMO_AS_OF, None, Principal("none", "admin", ()))
    with pytest.raises(report.ReportError):
        report.build(demo, DEMO_AS_OF, ["99999"], LOCAL)
    sel = report.build(demo, DEMO_AS_OF, [code, other], LOCAL)
    assert sel.facts.scope.kind == "selection"


def test_state_format(lao_cai):
    doc = Document(io.BytesIO(report.report_docx(lao_cai, LC_AS_OF, style="state")))
    head = doc.tables[0]
    assert [p.text for p in head.cell(0, 0).paragraphs if p.text] == ["ỦY BAN NHÂN DÂN",
                                                                      "TỈNH LÀO CAI"]
    right = [p.text for p in head.cell(0, 1).paragraphs if p.text]
    assert right == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert head.cell(0, 1).paragraphs[0].runs[0].font.size.pt in (12, 13)
    assert head.cell(1, 0).text == "Số: …/BC-UBND"
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" not in "\n".join(p.text for p in doc.paragraphs)
    closing = next(t for t in doc.tables if t.cell(0, 0).paragraphs[0].text == "Nơi nhận:")
    assert closing.cell(0, 0).paragraphs[0].runs[0].bold
    assert [p.text for p in closing.cell(0, 1).paragraphs if p.text][:2] == [
        "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    assert any(p.text.startswith("Thực hiện [Cơ quan bổ sung") for p in doc.paragraphs)
    assert "Ủy ban nhân dân tỉnh Lào Cai báo cáo sơ kết" in "\n".join(
        p.text for p in doc.paragraphs)


def test_names_in_text():
    assert report.short_name("Tỉnh Bắc Ninh") == "Bắc Ninh"
    assert report.in_text("Thành phố Huế") == "thành phố Huế"
    assert report.body_name("BAN TUYÊN GIÁO VÀ DÂN VẬN") == "Ban Tuyên giáo và Dân vận"
    assert report.name_list(["A", "B", "C"], 3) == "A, B và C"
    assert report.name_list(["A", "B", "C", "D"], 3) == "A, B, C và 1 đơn vị khác"
    assert report.month_span("2024-01-09", "2024-03-16") == "01–03/2024"
    assert report.month_span("2024-11-09", "2025-02-16") == "11/2024 – 02/2025"
    assert report.file_name("2025-06-30", ["02671"]) == "bao-cao-so-ket-2025-06-30-02671.docx"


def test_a_city_gets_thanh_uy(tmp_path):
    path = tmp_path / "hue.duckdb"
    build_lao_cai(path)
    db = store.Database(path)
    db.df("UPDATE units SET unit_name = 'Thành phố Huế' WHERE level = 'province'")
    doc = Document(io.BytesIO(report.report_docx(db, LC_AS_OF)))
    db.close()
    assert doc.tables[0].cell(0, 0).paragraphs[0].text == "THÀNH ỦY HUẾ"
    assert "toàn thành phố có 5 tổ" in _kpi_sentence(doc)


# -- command line and audit -------------------------------------------------------------------
def _cli(*args, db):
    return subprocess.run([sys.executable, "-m", "dashboard", "report", *args, "--db", str(db)],
                          cwd=ROOT, capture_output=True, text=True)


def test_cli_writes_the_report_and_the_audit_log(tmp_path):
    path = tmp_path / "lc.duckdb"
    build_lao_cai(path)
    out = tmp_path / "bc.docx"
    r = _cli("--as-of", "2025-09-30", "--out", str(out), db=path)
    assert r.returncode == 0, r.stderr
    doc = Document(out)
    assert doc.tables[0].cell(0, 0).paragraphs[0].text == "TỈNH ỦY LÀO CAI"
    r = _cli("--as-of", "2025-09-30", "--communes", "02671", "--format", "state", "--out",
             str(tmp_path / "xa.docx"), db=path)
    assert r.returncode == 0, r.stderr
    assert Document(tmp_path / "xa.docx").tables[0].cell(0, 0).paragraphs[1].text \
        == "XÃ BẢN XÈO"
    db = store.Database(path, read_only=True)
    log = db.df("SELECT * FROM audit_log ORDER BY happened_at")
    db.close()
    assert log.action.tolist() == ["export", "export"]
    assert log.username.tolist() == ["local", "local"]
    assert "as_of=2025-09-30 communes=all" in log.detail.iloc[0]
    assert "style=state" in log.detail.iloc[1] and "communes=02671" in log.detail.iloc[1]


def test_cli_exit_codes(tmp_path, empty_db):
    path = tmp_path / "lc.duckdb"
    build_lao_cai(path)
    out = str(tmp_path / "x.docx")
    assert _cli("--as-of", "30/09/2025", "--out", out, db=path).returncode == 2
    assert _cli("--as-of", "2025-09-30", "--out", str(tmp_path / "x.pdf"), db=path).returncode \
        == 2
    assert _cli("--as-of", "2025-09-30", "--communes", "99999", "--out", out,
                db=path).returncode == 2
    assert _cli("--as-of", "2025-09-30", db=path).returncode == 2
    empty = empty_db.path
    empty_db.close()
    r = _cli("--as-of", "2025-09-30", "--out", out, db=empty)
    assert r.returncode == 1 and "Chưa có xã, phường" in r.stderr
    assert not Path(out).exists()


# -- the page ---------------------------------------------------------------------------------
def test_present_page_offers_the_report(tmp_path, monkeypatch):
    from conftest import run_page

    path = tmp_path / "lc.duckdb"
    build_lao_cai(path)
    monkeypatch.setenv("DASHBOARD_DB", str(path))
    at = run_page("../pages/present.py", as_of="2025-09-30", full="0")
    assert at.radio(key="report_style").options == [report.STYLE_LABELS["party"],
                                                    report.STYLE_LABELS["state"]]


@pytest.mark.browser
def test_report_downloads_from_the_page(app_server, browser_page):
    from conftest import wait_for_app

    page = browser_page
    page.goto(f"{app_server}/trinh-chieu?slide=1&as_of=2025-06-30&full=0")
    wait_for_app(page)
    page.locator("summary:visible", has_text="Dự thảo báo cáo sơ kết (Word)").click()
    button = page.locator(".st-key-present_report button:visible")
    button.wait_for(state="visible", timeout=30_000)
    with page.expect_download(timeout=120_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "bao-cao-so-ket-2025-06-30.docx"
    doc = Document(io.BytesIO(Path(download.path()).read_bytes()))
    assert doc.tables[0].cell(0, 1).paragraphs[0].text == "ĐẢNG CỘNG SẢN VIỆT NAM"
    assert "Tính đến ngày 30/06/2025" in "\n".join(p.text for p in doc.paragraphs)
    assert page.external_requests == [], page.external_requests


# -- rendered pages ---------------------------------------------------------------------------
@pytest.mark.skipif(not shutil.which("soffice") or not shutil.which("pdftotext"),
                    reason="LibreOffice (soffice) or poppler not installed")
def test_renders_to_pdf_with_header_on_page_one(lc_doc, tmp_path):
    src = tmp_path / "bc.docx"
    lc_doc.save(src)
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(src)], check=True, capture_output=True, timeout=180)
    pdf = tmp_path / "bc.pdf"
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in first and "TỈNH ỦY LÀO CAI" in first
    assert "BÁO CÁO" in first and "I. TÌNH HÌNH TRIỂN KHAI" in first
    everything = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                check=True).stdout
    assert "T/M BAN DÂN VẬN" in everything and "PHỤ LỤC" in everything


def test_audit_record_alone_and_inside_a_transaction(empty_db):
    from dashboard.access import audit

    audit.record(empty_db, Principal("an", "presenter", ("02671",)), "export", "report x",
                 address="127.0.0.1")
    with pytest.raises(RuntimeError):
        with empty_db.transaction() as cur:
            audit.record(empty_db, LOCAL, "export", "rolled back with its write", cur=cur)
            raise RuntimeError("the write fails")
    log = empty_db.df('SELECT * FROM audit_log')
    assert log[["username", "role", "action", "detail", "address"]].values.tolist() == [
        ["an", "presenter", "export", "report x", "127.0.0.1"]]


def test_tong_ket_kind_and_unknown_style(lao_cai):
    doc = Document(io.BytesIO(report.report_docx(lao_cai, LC_AS_OF, kind="tong_ket")))
    paras = [p.text for p in doc.paragraphs]
    assert paras[paras.index("BÁO CÁO") + 1].startswith("tổng kết công tác")
    with pytest.raises(report.ReportError):
        report.build(lao_cai, LC_AS_OF, style="letter")
