"""The meeting pack: slides → PowerPoint (16:9) and PDF bytes, and figures → PNG bytes.

Works offline. Charts are rendered by kaleido 1.x with the system Chromium (Debian
`chromium`, found through BROWSER_PATH or the usual paths; never downloaded), with plotly.js
from the installed plotly package and MathJax disabled (its default is a CDN). The PDF embeds
a TrueType font that covers every Vietnamese letter (DejaVu Sans from Debian
`fonts-dejavu-core`, or DASHBOARD_FONT / DASHBOARD_FONT_BOLD); the PowerPoint names Arial,
which PowerPoint and LibreOffice (Liberation Sans) render with Vietnamese glyphs.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import io
import os
import shutil
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from dashboard.access.safe_text import scrub_paths
from dashboard.output.slides import FIG_HEIGHT, FIG_WIDTH, Slide

SCALE = 2
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser",
                       "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable")
FONT_CANDIDATES = {
    False: ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/TTF/DejaVuSans.ttf",
            "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
            "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
            "C:/Windows/Fonts/arial.ttf", "/Library/Fonts/Arial.ttf"),
    True: ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
           "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
           "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
           "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
           "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
           "C:/Windows/Fonts/arialbd.ttf", "/Library/Fonts/Arial Bold.ttf"),
}
# Every letter of Vietnamese (lower and upper case) the fonts must cover.
VIETNAMESE_LETTERS = ("aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrst"
                      "uùúủũụưừứửữựvxyỳýỷỹỵ")
PPTX_FONT = "Arial"


class ExportError(RuntimeError):
    """A problem the user can act on, with a Vietnamese message."""


# -- fonts -----------------------------------------------------------------------------------
def _covers(path: str, text: str) -> bool:
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(path, lazy=True, fontNumber=0)
        cmap = font.getBestCmap() or {}
    except Exception:
        return False
    return all(ord(ch) in cmap for ch in set(text) if not ch.isspace())


def find_font(bold: bool = False) -> str:
    """A TTF with every Vietnamese letter; DASHBOARD_FONT(_BOLD) overrides the search."""
    wanted = VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper() + "–“”…·•%"
    env = os.environ.get("DASHBOARD_FONT_BOLD" if bold else "DASHBOARD_FONT")
    candidates = ([env] if env else []) + list(FONT_CANDIDATES[bold])
    for path in candidates:
        if path and Path(path).is_file() and _covers(path, wanted):
            return path
    raise ExportError(
        "Không tìm thấy phông chữ có đủ ký tự tiếng Việt để tạo tệp PDF. Hãy cài gói "
        "fonts-dejavu-core (sudo apt-get install fonts-dejavu-core) hoặc đặt biến môi trường "
        "DASHBOARD_FONT (và DASHBOARD_FONT_BOLD) trỏ tới một tệp .ttf tiếng Việt. Đã thử: "
        + ", ".join(c for c in candidates if c))


# -- figures → PNG ---------------------------------------------------------------------------
def chromium_path() -> str:
    env = os.environ.get("BROWSER_PATH")
    if env and Path(env).is_file():
        return env
    for path in CHROMIUM_CANDIDATES:
        if Path(path).is_file():
            return path
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise ExportError(
        "Không tìm thấy trình duyệt Chromium để xuất biểu đồ thành ảnh. Hãy cài gói chromium "
        "(sudo apt-get install chromium) hoặc đặt biến môi trường BROWSER_PATH.")


def _run(coro_factory):
    """Run a coroutine to completion from sync code, also when a loop is already running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro_factory())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(coro_factory())).result()


def figures_png(figures: Iterable, width: int = FIG_WIDTH, height: int = FIG_HEIGHT,
                scale: float = SCALE) -> list[bytes]:
    """Render plotly figures to PNG bytes with one Chromium session (None stays None)."""
    import kaleido

    figures = list(figures)
    if not any(f is not None for f in figures):
        return [None] * len(figures)
    path = chromium_path()

    async def render():
        out = []
        async with kaleido.Kaleido(n=1, path=path, mathjax=False, timeout=120) as k:
            for fig in figures:
                if fig is None:
                    out.append(None)
                    continue
                w = int(fig.layout.width or width)
                h = int(fig.layout.height or height)
                out.append(await k.calc_fig(
                    fig, opts=dict(format="png", width=w, height=h, scale=scale)))
        return out

    try:
        return _run(render)
    except ExportError:
        raise
    except Exception as exc:  # kaleido / Chromium failures
        raise ExportError("Không xuất được biểu đồ thành ảnh ("
                          f"{type(exc).__name__}: {scrub_paths(exc)}).") \
            from exc


def figure_png(fig, width: int | None = None, height: int | None = None,
               scale: float = SCALE) -> bytes:
    """One figure → PNG bytes (for the per-chart download button)."""
    if width or height:
        fig = fig.__class__(fig)  # copy: do not resize the caller's figure
        fig.update_layout(width=width or fig.layout.width, height=height or fig.layout.height)
    return figures_png([fig], scale=scale)[0]


_IMAGE_CACHE: OrderedDict[str, list] = OrderedDict()
_IMAGE_LOCK = threading.Lock()


def _fingerprint(slides: list[Slide]) -> str:
    h = hashlib.sha256()
    for s in slides:
        h.update(s.key.encode())
        h.update(s.figure.to_json().encode() if s.figure is not None else b"-")
    return h.hexdigest()


def render_images(slides: list[Slide]) -> list[bytes | None]:
    """The slides' charts as PNG (scale 2); the last few decks are kept in memory, so the
    PowerPoint and the PDF of the same slides render the charts once."""
    key = _fingerprint(slides)
    with _IMAGE_LOCK:
        if key in _IMAGE_CACHE:
            _IMAGE_CACHE.move_to_end(key)
            return _IMAGE_CACHE[key]
        images = figures_png([s.figure for s in slides])
        _IMAGE_CACHE[key] = images
        while len(_IMAGE_CACHE) > 8:
            _IMAGE_CACHE.popitem(last=False)
        return images


# -- shared layout (inches on a 13.333 × 7.5 in slide) -------------------------------------------
SLIDE_W, SLIDE_H = 13.333, 7.5
MARGIN = 0.5
INK = (0x1F, 0x29, 0x37)
MUTED = (0x6B, 0x72, 0x80)
ACCENT = (0x1D, 0x4E, 0xD8)
TILE = (0xEF, 0xF4, 0xFF)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def _title_size(title: str) -> int:
    return 30 if len(title) <= 55 else 26


def _image_box(png: bytes, top: float, bottom: float) -> tuple[float, float, float, float]:
    """(left, top, width, height) in inches: the image fitted into the area, centred."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        w_px, h_px = im.size
    max_w, max_h = SLIDE_W - 2 * MARGIN, bottom - top
    ratio = w_px / h_px
    w, h = max_w, max_w / ratio
    if h > max_h:
        h, w = max_h, max_h * ratio
    return (SLIDE_W - w) / 2, top, w, h


def _tiles(n: int) -> list[tuple[float, float, float, float]]:
    cols = 3
    rows = (n + cols - 1) // cols
    gap = 0.3
    top, bottom = 2.9, 6.8
    w = (SLIDE_W - 2 * MARGIN - (cols - 1) * gap) / cols
    h = min(1.7, (bottom - top - (rows - 1) * gap) / max(rows, 1))
    return [(MARGIN + (i % cols) * (w + gap), top + (i // cols) * (h + gap), w, h)
            for i in range(n)]


# -- PowerPoint --------------------------------------------------------------------------------
def pptx_bytes(slides: list[Slide], images: list[bytes | None] | None = None) -> bytes:
    """The deck as .pptx bytes (16:9): one slide per Slide, chart images, notes, footer."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
    from pptx.util import Inches, Pt

    if images is None:
        images = render_images(slides)
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    blank = prs.slide_layouts[6]
    total = len(slides)

    def text(slide, x, y, w, h, value, size, bold=False, color=INK, align=PP_ALIGN.LEFT,
             anchor=MSO_ANCHOR.TOP, name=None):
        box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
        if name:
            box.name = name
        tf = box.text_frame
        tf.word_wrap = True
        tf.vertical_anchor = anchor
        tf.margin_left = tf.margin_right = Inches(0.05)
        lines = value if isinstance(value, list) else [value]
        for i, line in enumerate(lines):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.alignment = align
            run = p.add_run()
            run.text = nfc(line)
            run.font.size, run.font.bold, run.font.name = Pt(size), bold, PPTX_FONT
            run.font.color.rgb = RGBColor(*color)
        return box

    for idx, (s, png) in enumerate(zip(slides, images), start=1):
        slide = prs.slides.add_slide(blank)
        if s.key == "title":
            text(slide, 0.8, 1.6, SLIDE_W - 1.6, 1.9, s.title, 40, True, ACCENT,
                 PP_ALIGN.CENTER, MSO_ANCHOR.BOTTOM, name="Title")
            text(slide, 0.8, 3.8, SLIDE_W - 1.6, 2.6, [x for x in s.subtitle if x], 22,
                 False, INK, PP_ALIGN.CENTER, name="Subtitle")
        else:
            text(slide, MARGIN, 0.3, SLIDE_W - 2 * MARGIN, 1.15, s.title, _title_size(s.title),
                 True, INK, anchor=MSO_ANCHOR.MIDDLE, name="Title")
            if s.number:
                text(slide, MARGIN, 1.55, 3.4, 0.75, s.number, 40, True, ACCENT,
                     name="Number")
                text(slide, MARGIN, 2.25, 3.4, 0.5, s.number_label, 13, False, MUTED)
                text(slide, MARGIN + 3.6, 1.6, SLIDE_W - 2 * MARGIN - 3.6, 1.1, s.sentence,
                     18, False, INK, name="Sentence")
            elif s.sentence:
                text(slide, MARGIN, 1.6, SLIDE_W - 2 * MARGIN, 1.0, s.sentence, 20,
                     name="Sentence")
            if png:
                x, y, w, h = _image_box(png, 2.85, 6.9)
                pic = slide.shapes.add_picture(io.BytesIO(png), Inches(x), Inches(y),
                                               Inches(w), Inches(h))
                pic.name = "Chart"
            if s.bullets:
                box = text(slide, MARGIN, 2.85, SLIDE_W - 2 * MARGIN, 4.0,
                           [f"• {b}" for b in s.bullets], 17 if len(s.bullets) <= 4 else 15,
                           name="Findings")
                for p in box.text_frame.paragraphs:
                    p.space_after = Pt(8)
            for (x, y, w, h), (label, value) in zip(_tiles(len(s.kpis)), s.kpis):
                tile = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, Inches(x),
                                              Inches(y), Inches(w), Inches(h))
                tile.fill.solid()
                tile.fill.fore_color.rgb = RGBColor(*TILE)
                tile.line.fill.background()
                tile.shadow.inherit = False
                text(slide, x + 0.1, y + 0.12, w - 0.2, h * 0.5, value, 32, True, ACCENT,
                     PP_ALIGN.CENTER, MSO_ANCHOR.MIDDLE)
                text(slide, x + 0.1, y + h * 0.55, w - 0.2, h * 0.4, label, 15, False, INK,
                     PP_ALIGN.CENTER)
        text(slide, MARGIN, 7.0, SLIDE_W - 2 * MARGIN - 0.8, 0.4, s.footer, 10, False, MUTED,
             name="Footer")
        text(slide, SLIDE_W - MARGIN - 0.8, 7.0, 0.8, 0.4, f"{idx}/{total}", 10, False, MUTED,
             PP_ALIGN.RIGHT, name="Slide number")
        slide.notes_slide.notes_text_frame.text = nfc(s.notes)
    prs.core_properties.title = nfc(slides[0].title if slides else "")
    prs.core_properties.language = "vi-VN"
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


# -- PDF -----------------------------------------------------------------------------------------
def pdf_bytes(slides: list[Slide], images: list[bytes | None] | None = None,
              notes: bool = False) -> bytes:
    """The same deck as a PDF (16:9 pages, embedded Vietnamese font). notes: add the speaker
    notes on a page after each slide (for a printed handout)."""
    from fpdf import FPDF

    regular, bold = find_font(False), find_font(True)
    if images is None:
        images = render_images(slides)
    mm = 25.4
    pdf = FPDF(orientation="L", unit="mm", format=(SLIDE_H * mm, SLIDE_W * mm))
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN * mm, 0, MARGIN * mm)
    pdf.add_font("Viet", "", regular)
    pdf.add_font("Viet", "B", bold)
    pdf.set_title(nfc(slides[0].title if slides else ""))
    pdf.set_lang("vi")
    pdf.set_creator("Dân vận dashboard")
    total = len(slides)

    def block(x, y, w, h, value, size, style="", color=INK, align="L", valign="T"):
        pdf.set_font("Viet", style, size)
        pdf.set_text_color(*color)
        line_h = size * 0.3528 * 1.25  # pt → mm, with leading
        lines = pdf.multi_cell(w * mm, line_h, nfc(value), dry_run=True, output="LINES")
        height = line_h * len(lines)
        top = y * mm
        if valign == "M":
            top += max(0.0, (h * mm - height) / 2)
        elif valign == "B":
            top += max(0.0, h * mm - height)
        pdf.set_xy(x * mm, top)
        pdf.multi_cell(w * mm, line_h, nfc(value), align=align)

    def footer(idx, value):
        block(MARGIN, 7.05, SLIDE_W - 2 * MARGIN - 0.9, 0.4, value, 8.5, color=MUTED)
        block(SLIDE_W - MARGIN - 0.8, 7.05, 0.8, 0.4, f"{idx}/{total}", 8.5, color=MUTED,
              align="R")

    for idx, (s, png) in enumerate(zip(slides, images), start=1):
        pdf.add_page()
        if s.key == "title":
            block(0.8, 1.4, SLIDE_W - 1.6, 2.1, s.title, 36, "B", ACCENT, "C", "B")
            block(0.8, 3.8, SLIDE_W - 1.6, 2.6, "\n".join(x for x in s.subtitle if x), 20,
                  "", INK, "C")
        else:
            block(MARGIN, 0.3, SLIDE_W - 2 * MARGIN, 1.15, s.title, _title_size(s.title) - 3,
                  "B", INK, valign="M")
            if s.number:
                block(MARGIN, 1.55, 3.4, 0.75, s.number, 38, "B", ACCENT)
                block(MARGIN, 2.25, 3.4, 0.5, s.number_label, 12, "", MUTED)
                block(MARGIN + 3.6, 1.6, SLIDE_W - 2 * MARGIN - 3.6, 1.1, s.sentence, 17)
            elif s.sentence:
                block(MARGIN, 1.6, SLIDE_W - 2 * MARGIN, 1.0, s.sentence, 19)
            if png:
                x, y, w, h = _image_box(png, 2.85, 6.9)
                pdf.image(io.BytesIO(png), x=x * mm, y=y * mm, w=w * mm, h=h * mm)
            if s.bullets:
                block(MARGIN, 2.85, SLIDE_W - 2 * MARGIN, 4.0,
                      "\n\n".join(f"• {b}" for b in s.bullets),
                      16 if len(s.bullets) <= 4 else 13)
            for (x, y, w, h), (label, value) in zip(_tiles(len(s.kpis)), s.kpis):
                pdf.set_fill_color(*TILE)
                pdf.set_draw_color(*TILE)
                pdf.rect(x * mm, y * mm, w * mm, h * mm, style="F", round_corners=True,
                         corner_radius=3)
                block(x + 0.1, y + 0.12, w - 0.2, h * 0.5, value, 30, "B", ACCENT, "C", "M")
                block(x + 0.1, y + h * 0.55, w - 0.2, h * 0.4, label, 14, "", INK, "C")
        footer(idx, s.footer)
        if notes and s.notes:
            pdf.add_page()
            block(MARGIN, 0.4, SLIDE_W - 2 * MARGIN, 0.6, f"Ghi chú — {s.title}", 16, "B")
            block(MARGIN, 1.1, SLIDE_W - 2 * MARGIN, 5.8, s.notes, 12)
            footer(idx, s.footer)
    return bytes(pdf.output())


def meeting_pack(slides: list[Slide]) -> tuple[bytes, bytes]:
    """(pptx, pdf) from one rendering of the charts."""
    images = render_images(slides)
    return pptx_bytes(slides, images), pdf_bytes(slides, images)


def file_name(as_of, ext: str) -> str:
    """'hoi-nghi-danh-gia_2025-06-30.pptx' (named by exports.file_name, as every download)."""
    from dashboard.output import exports

    return exports.file_name("Hội nghị đánh giá", ext, as_of)
