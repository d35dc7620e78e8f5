"""Meeting slides, number words and the PowerPoint/PDF/PNG exports.

A small hand-made province is used so every expected figure is computed by hand:

  Tỉnh Bắc Ninh (24)
  ├─ Xã Đông Tiến (25111): V1 100 hộ, V2 100 hộ
  │    K1 V1 pilot   2024-01-01, 6 người, 80 hộ   (active)
  │    K2 V1 rollout 2024-06-01, 5 người, 40 hộ   (active; V1 covered capped at 100)
  │    K3 V2 pilot   2025-07-15                   (not yet established at 30/06/2025)
  ├─ Phường Võ Cường (25114): V3 200 hộ
  │    K4 V3 rollout 2024-03-01, 8 người, 60 hộ   (active)
  │    K5 V3 rollout 2023-01-01 ended 2025-01-01  (ended)
  └─ Xã Yên Phụ (25117): V4 50 hộ, no cell
At 30/06/2025: 3 cells, 19 members, 450 households, 160 covered (100 + 60) → 35,56 %;
Đông Tiến (pilot) 100/200 = 50 %, 11 members / 2 cells = 5,5, 120 raw / 11 = 10,91;
Võ Cường (rollout) 60/200 = 30 %, 8 / 1 = 8,0, 60 / 8 = 7,5; uncovered 290 (140, 100, 50).
Models: M1 economy (Đông Tiến, active), M2 economy (V3, ended 2025-03-01),
M3 defense_security (province, active), M4 culture_society (Võ Cường, starts 2025-08-01).
"""
from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from dashboard import store
from dashboard.i18n import numwords
from dashboard.output import pack, slides

AS_OF = dt.date(2025, 6, 30)
ROOT = Path(__file__).resolve().parent.parent


# -- number words -------------------------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [
    (0, "không"), (5, "năm"), (10, "mười"), (11, "mười một"), (15, "mười lăm"),
    (21, "hai mươi mốt"), (24, "hai mươi tư"), (25, "hai mươi lăm"), (72, "bảy mươi hai"),
    (100, "một trăm"), (105, "một trăm linh năm"), (115, "một trăm mười lăm"),
    (1005, "một nghìn không trăm linh năm"), (1362, "một nghìn ba trăm sáu mươi hai"),
    (2098, "hai nghìn không trăm chín mươi tám"), (65000, "sáu mươi lăm nghìn"),
    (1_000_005, "một triệu không trăm linh năm"), (1_500_000_000, "một tỷ năm trăm triệu"),
    (72.5, "bảy mươi hai phẩy năm"), (45.07, "bốn mươi lăm phẩy không bảy"),
    (72.0, "bảy mươi hai"), (-3, "âm ba"),
])
def test_words(value, expected):
    assert numwords.words(value) == expected


def test_percent_words_round_like_the_shown_figure():
    assert numwords.percent_words(72) == "bảy mươi hai phần trăm"
    assert numwords.percent_words(35.56) == "ba mươi lăm phẩy sáu phần trăm"  # shown 35,6%
    assert numwords.percent_words(float("nan")) == "không có số liệu"
    assert numwords.capitalize("đã xong") == "Đã xong"


# -- a hand-made province ------------------------------------------------------------------------
def _insert(db, table: str, rows: list[dict]) -> None:
    frame = pd.DataFrame(rows)
    cur = db.cursor()
    try:
        cur.register("frame", frame)
        cur.execute(f"INSERT INTO {table} ({', '.join(frame.columns)}) SELECT * FROM frame")
    finally:
        cur.close()


def build_small_db(path: Path) -> None:
    db = store.Database(path)
    d = dt.date
    _insert(db, "units", [
        dict(unit_code="24", unit_name="Tỉnh Bắc Ninh", level="province", parent_code=None,
             households=None),
        dict(unit_code="25111", unit_name="Xã Đông Tiến", level="commune", parent_code="24",
             households=None),
        dict(unit_code="25114", unit_name="Phường Võ Cường", level="commune",
             parent_code="24", households=None),
        dict(unit_code="25117", unit_name="Xã Yên Phụ", level="commune", parent_code="24",
             households=None),
        dict(unit_code="V1", unit_name="Thôn Đông", level="village", parent_code="25111",
             households=100),
        dict(unit_code="V2", unit_name="Thôn Đoài", level="village", parent_code="25111",
             households=100),
        dict(unit_code="V3", unit_name="Khu phố Ngọc", level="village", parent_code="25114",
             households=200),
        dict(unit_code="V4", unit_name="Thôn Yên", level="village", parent_code="25117",
             households=50),
    ])
    cell = dict(cell_name="Tổ", cell_type="Tổ dân vận cộng đồng", ended_on=None, tasks=None)
    _insert(db, "cells", [
        {**cell, "cell_id": "K1", "unit_code": "V1", "phase": "pilot",
         "established_on": d(2024, 1, 1), "members": 6, "households_covered": 80},
        {**cell, "cell_id": "K2", "unit_code": "V1", "phase": "rollout",
         "established_on": d(2024, 6, 1), "members": 5, "households_covered": 40},
        {**cell, "cell_id": "K3", "unit_code": "V2", "phase": "pilot",
         "established_on": d(2025, 7, 15), "members": 5, "households_covered": 50},
        {**cell, "cell_id": "K4", "unit_code": "V3", "phase": "rollout",
         "established_on": d(2024, 3, 1), "members": 8, "households_covered": 60},
        {**cell, "cell_id": "K5", "unit_code": "V3", "phase": "rollout",
         "established_on": d(2023, 1, 1), "members": 5, "households_covered": 40,
         "ended_on": d(2025, 1, 1)},
    ])
    model = dict(owner=None, recognized_level=None, households_reached=None, latitude=None,
                 longitude=None, description=None, ended_on=None)
    _insert(db, "models", [
        {**model, "model_id": "M1", "model_name": "Camera giám sát ANTT", "field": "economy",
         "level": "commune", "unit_code": "25111", "started_on": d(2024, 1, 1)},
        {**model, "model_id": "M2", "model_name": "Mỗi tuần một khu phố", "field": "economy",
         "level": "village", "unit_code": "V3", "started_on": d(2024, 5, 1),
         "ended_on": d(2025, 3, 1)},
        {**model, "model_id": "M3", "model_name": "Kiệt hẻm an toàn",
         "field": "defense_security", "level": "province", "unit_code": "24",
         "started_on": d(2025, 1, 1)},
        {**model, "model_id": "M4", "model_name": "Dòng họ khuyến học",
         "field": "culture_society", "level": "commune", "unit_code": "25114",
         "started_on": d(2025, 8, 1)},
    ])
    _insert(db, "batches", [
        dict(batch_id=1, created_at=dt.datetime(2025, 6, 20, 9), dataset="units",
             status="committed"),
        dict(batch_id=2, created_at=dt.datetime(2025, 7, 1, 10), dataset="cells",
             status="committed"),
    ])
    db.close()


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("pack") / "small.duckdb"
    build_small_db(path)
    db = store.Database(path, read_only=True)
    yield db
    db.close()


@pytest.fixture(scope="module")
def deck(small_db):
    return slides.build(small_db, {"as_of": AS_OF})


@pytest.fixture(scope="module")
def exported(deck):
    images = pack.render_images(deck)
    return images, pack.pptx_bytes(deck, images), pack.pdf_bytes(deck, images)


# -- slides -----------------------------------------------------------------------------------
def test_slide_list_titles_numbers_and_words(deck):
    assert [s.key for s in deck] == ["title", "kpis", "coverage", "gaps", "phases",
                                     "evaluation", "models"]
    by = {s.key: s for s in deck}
    assert by["title"].subtitle[:3] == ["Tỉnh Bắc Ninh", "Toàn tỉnh (3 xã, phường)",
                                        "Số liệu tính đến ngày 30/06/2025"]
    kpis = by["kpis"]
    assert kpis.title == "Tổ dân vận đã phụ trách 35,6% số hộ gia đình"
    assert kpis.number == "35,6%"
    # figures in digits on the slide, in words only in the speaker notes
    assert kpis.sentence == ("35,6% số hộ gia đình đã có tổ dân vận phụ trách: 160 trên 450 "
                             "hộ, do 3 tổ với 19 thành viên đảm nhận.")
    assert kpis.spoken.startswith("Ba mươi lăm phẩy sáu phần trăm số hộ gia đình")
    assert kpis.notes.startswith("Đọc to: Ba mươi lăm phẩy sáu phần trăm số hộ gia đình")
    assert "một trăm sáu mươi trên bốn trăm năm mươi hộ" in kpis.spoken
    assert dict(kpis.kpis) == {
        "Xã, phường có tổ": "2/3", "Thôn, tổ dân phố có tổ": "2/4",
        "Tổ đang hoạt động": "3", "Thành viên": "19",
        "Hộ được phụ trách (trên 450 hộ)": "160",
        "Mô hình Dân vận khéo đang hoạt động": "2"}
    assert by["coverage"].title == "Chưa xã, phường nào đạt độ phủ 80%; 1/3 xã dưới 20%"
    assert by["coverage"].number == "1/3"
    assert list(by["coverage"].figure.data[0].y) == [1, 1, 1, 0]   # 0 %; 30 %; 50 %; none
    gaps = by["gaps"]
    assert gaps.title == ("Còn 290 hộ chưa có tổ phụ trách, ở 3 xã; nhiều nhất "
                          "Phường Võ Cường (140 hộ)")
    assert gaps.sentence.startswith("290 hộ chưa có tổ dân vận phụ trách")
    assert gaps.spoken.startswith("Hai trăm chín mươi hộ chưa có tổ dân vận phụ trách")
    assert list(gaps.figure.data[0].x) == [50, 100, 140]   # smallest at the bottom
    phases = by["phases"]
    assert phases.title == "Xã thí điểm đạt độ phủ 50,0%, cao hơn xã nhân rộng (30,0%)"
    assert phases.sentence == ("Các xã thí điểm đạt 50,0%, các xã nhân rộng đạt 30,0%, "
                               "chênh lệch 20,0 điểm phần trăm.")
    assert phases.spoken == ("Các xã thí điểm đạt năm mươi phần trăm, các xã nhân rộng đạt "
                             "ba mươi phần trăm, chênh lệch hai mươi điểm phần trăm.")
    assert [list(t.y) for t in phases.figure.data] == [[50.0, 30.0], [5.5, 8.0],
                                                        [10.91, 7.5]]
    ev = by["evaluation"]       # dashboard/evaluation.py findings, 12 months after start:
    # Đông Tiến (pilot, from 01/2024) at 31/01/2025: 100/200; Võ Cường (from 01/2023) at
    # 31/01/2024: only K5 (40 hộ) → 20 %; every cell founded ≥ 12 months ago survived.
    assert ev.title == "Sau 12 tháng: xã thí điểm đạt độ phủ 50,0%, xã nhân rộng 20,0%"
    assert ev.sentence == ("Sau 12 tháng kể từ khi bắt đầu, các xã nhân rộng đạt 20,0%, các "
                           "xã thí điểm đạt 50,0%.")
    assert ev.spoken == ("Sau mười hai tháng kể từ khi bắt đầu, các xã nhân rộng đạt hai "
                         "mươi phần trăm, các xã thí điểm đạt năm mươi phần trăm.")
    assert ev.bullets[0] == ("Đến 30/06/2025: 1 xã thí điểm (bắt đầu từ 01/01/2024), 1 xã "
                             "nhân rộng trong 1 đợt (quý I/2023), 1 xã chưa bắt đầu.")
    assert "100,0% số tổ thí điểm và 100,0% số tổ nhân rộng" in ev.bullets[2]
    assert ev.figure is None
    models = by["models"]
    assert models.title == ("2 mô hình “Dân vận khéo” đang hoạt động, nhiều nhất lĩnh vực "
                            "Kinh tế (1)")
    # of the models started by 30/06/2025 (the fourth starts later: it did not exist yet)
    assert models.sentence.startswith("2 trên 3 mô hình đang hoạt động")
    assert models.spoken.startswith("Hai trên ba mô hình đang hoạt động")
    # no number in words on any slide: only in its notes
    for s in deck:
        shown = " ".join([s.title, s.number, s.number_label, s.sentence, *s.bullets,
                          *s.subtitle, *(v for kv in s.kpis for v in kv)])
        assert "phần trăm số hộ" not in shown and "mươi" not in shown, s.key
        if s.spoken:
            assert s.notes.startswith("Đọc to: " + s.spoken)
    for s in deck:
        assert s.footer == ("Toàn tỉnh (3 xã, phường) · Số liệu đến ngày 30/06/2025 · "
                            "Nguồn: lô nhập #1–#2 (2 lô, lần cuối 01/07/2025)")
    assert "• Độ phủ: 35,6% (ba mươi lăm phẩy sáu phần trăm)" in kpis.notes
    assert "Lưu ý:" in kpis.notes and "Đây là dữ liệu minh họa" not in kpis.notes
    assert "Thí điểm: 1 xã, 2 tổ, 11 thành viên, độ phủ 50,0%, 5,5 thành viên/tổ, " \
           "10,9 hộ/thành viên" in phases.notes


def test_commune_filter_changes_every_figure(small_db):
    deck = slides.build(small_db, {"as_of": "2025-06-30", "communes": ["25111"]})
    by = {s.key: s for s in deck}
    assert by["kpis"].number == "50,0%"
    assert dict(by["kpis"].kpis)["Thành viên"] == "11"
    assert by["models"].number == "1"     # only M1 belongs to Đông Tiến
    assert by["phases"].title == "Các xã thí điểm đạt độ phủ 50,0%"
    assert deck[0].footer.startswith("1 xã, phường được chọn: Xã Đông Tiến · ")


def test_empty_scope_gives_a_message_slide(small_db):
    deck = slides.build(small_db, {"as_of": AS_OF, "communes": ["__none__"]})
    assert [s.key for s in deck] == ["title", "empty"]
    assert deck[1].title == "Chưa có số liệu xã, phường cho phạm vi này"


# -- PowerPoint ---------------------------------------------------------------------------------
def test_pptx_slides_titles_images_notes(deck, exported):
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE
    from pptx.util import Inches

    _, pptx_data, _ = exported
    prs = Presentation(io.BytesIO(pptx_data))
    assert (prs.slide_width, prs.slide_height) == (Inches(13.333), Inches(7.5))
    assert len(prs.slides) == 7
    for slide, s in zip(prs.slides, deck):
        shapes = {sh.name: sh for sh in slide.shapes}
        assert shapes["Title"].text_frame.text == s.title
        assert shapes["Footer"].text_frame.text == s.footer
        pictures = [sh for sh in slide.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == (1 if s.figure is not None else 0)
        for pic in pictures:
            assert pic.image.content_type == "image/png"
            assert pic.image.size == (2000, 780)          # 1000 × 390 at scale 2
            assert pic.left >= 0 and pic.left + pic.width <= prs.slide_width
            assert pic.top + pic.height <= Inches(7.0)      # above the footer
        assert slide.notes_slide.notes_text_frame.text == s.notes
    findings = next(sh for sh in prs.slides[5].shapes if sh.name == "Findings")
    assert [p.text for p in findings.text_frame.paragraphs] == [
        f"• {b}" for b in deck[5].bullets]
    kpi_slide = prs.slides[1]
    texts = [sh.text_frame.text for sh in kpi_slide.shapes if sh.has_text_frame]
    assert "35,6%" in texts and "160" in texts and "Hộ được phụ trách (trên 450 hộ)" in texts
    notes = prs.slides[1].notes_slide.notes_text_frame.text
    assert "Độ phủ: 35,6% (ba mươi lăm phẩy sáu phần trăm)" in notes
    assert "Lưu ý:" in notes


# -- PDF ----------------------------------------------------------------------------------------
def test_pdf_pages_not_blank_and_vietnamese_text_intact(deck, exported, tmp_path):
    from PIL import Image

    _, _, pdf_data = exported
    assert pdf_data[:5] == b"%PDF-"
    pdf = tmp_path / "deck.pdf"
    pdf.write_bytes(pdf_data)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == 7
    for png in pages:
        with Image.open(png) as im:
            gray = im.convert("L")
            w, h = gray.size
            assert abs(w / h - 16 / 9) < 0.02
            dark = sum(gray.histogram()[:200])
            assert dark > 0.01 * w * h, f"{png.name} looks blank"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True).stdout.decode("utf-8")
    flat = " ".join(unicodedata.normalize("NFC", text).split())
    for s in deck:
        assert " ".join(s.title.split()) in flat
    assert "35,6% số hộ gia đình đã có tổ dân vận phụ trách" in flat
    assert "Ba mươi lăm phẩy" not in flat           # words belong to the notes
    assert "Phường Võ Cường" in flat and "Tỉnh Bắc Ninh" in flat
    assert "Số liệu đến ngày 30/06/2025" in flat


def test_pdf_handout_with_notes(deck, exported):
    images, _, _ = exported
    data = pack.pdf_bytes(deck, images, notes=True)
    from fpdf import FPDF  # noqa: F401  (fpdf2 is the writer; count pages via pdftotext)
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True,
                         check=True).stdout.decode("utf-8")
    assert out.count("\f") == 14          # a notes page after each of the 7 slides
    assert "Ghi chú — Tổ dân vận đã phụ trách 35,6% số hộ gia đình" in \
        unicodedata.normalize("NFC", out)


def test_missing_font_fails_with_a_clear_message(monkeypatch):
    monkeypatch.delenv("DASHBOARD_FONT", raising=False)
    monkeypatch.setitem(pack.FONT_CANDIDATES, False, ("/nonexistent/font.ttf",))
    with pytest.raises(pack.ExportError, match="fonts-dejavu-core"):
        pack.find_font()


def test_font_override_must_cover_vietnamese(monkeypatch, tmp_path):
    fake = tmp_path / "fake.ttf"
    fake.write_bytes(b"not a font")
    monkeypatch.setenv("DASHBOARD_FONT", str(fake))
    found = pack.find_font()
    assert found != str(fake) and Path(found).is_file()
    assert pack._covers(found, "Đường Nguyễn Huệ, phẩy, Ỹ ỵ")
    assert not pack._covers(found, "漢字")      # the coverage check really checks


# -- PNG ------------------------------------------------------------------------------------------
def test_chart_png_is_sharp(deck, exported):
    from PIL import Image

    images, _, _ = exported
    assert images[0] is None and images[1] is None      # title and KPI tiles: no chart
    with Image.open(io.BytesIO(images[2])) as im:
        assert im.size == (2000, 780)
    one = pack.figure_png(deck[2].figure, width=800, height=400)
    with Image.open(io.BytesIO(one)) as im:
        assert im.size == (1600, 800)
    assert deck[2].figure.layout.width == slides.FIG_WIDTH   # caller's figure untouched


def test_export_works_without_network(tmp_path):
    """Run the whole pack in a process with no network at all (Linux network namespace)."""
    if not shutil.which("unshare") or subprocess.run(
            ["unshare", "-rn", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot create a network namespace here")
    db_path = tmp_path / "offline.duckdb"
    build_small_db(db_path)
    script = (
        "import sys, datetime as dt\n"
        "from dashboard import store\nfrom dashboard.output import slides, pack\n"
        f"db = store.Database({str(db_path)!r}, read_only=True)\n"
        "deck = slides.build(db, {'as_of': dt.date(2025, 6, 30)})\n"
        "pptx, pdf = pack.meeting_pack(deck)\n"
        f"open({str(tmp_path / 'x.pptx')!r}, 'wb').write(pptx)\n"
        "print(len(pptx), len(pdf))\n")
    run = subprocess.run(["unshare", "-rn", sys.executable, "-c", script], cwd=ROOT,
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]
    from pptx import Presentation
    prs = Presentation(str(tmp_path / "x.pptx"))
    pics = sum(1 for sl in prs.slides for sh in sl.shapes if sh.shape_type == 13)
    assert len(prs.slides) == 7 and pics == 4


def test_demo_coverage_slide_is_the_map(demo_db, tmp_path):
    """With boundaries (the demo has approximate ones) the coverage slide shows the map of
    dashboard/maps.py, and kaleido draws it offline (no tiles: white-bg style)."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, path)
    db = store.Database(path, read_only=True)
    try:
        deck = slides.build(db, {"as_of": AS_OF})
    finally:
        db.close()
    cov = next(s for s in deck if s.key == "coverage")
    assert {t.type for t in cov.figure.data} <= {"choroplethmap", "scattermap"}
    assert cov.figure.layout.map.style == "white-bg"
    assert "map_boundaries" in cov.queries
    from PIL import Image
    png = pack.figure_png(cov.figure)
    with Image.open(io.BytesIO(png)) as im:
        assert im.size == (2 * slides.MAP_WIDTH, 2 * slides.MAP_HEIGHT)
        colours = im.convert("RGB").resize((100, 56)).getcolors(10000)
    assert len(colours) > 20          # a drawn map, not a blank page


def test_file_name():
    assert pack.file_name(dt.date(2025, 6, 30), "pptx") == "hoi-nghi-danh-gia_2025-06-30.pptx"
