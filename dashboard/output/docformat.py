"""Word layout of an official report: the Party format and the state format.

Party bodies (a Ban Dân vận Tỉnh ủy) follow Quy định 66-QĐ/TW and Hướng dẫn 36-HD/VPTW; state
bodies Nghị định 30/2020/NĐ-CP, Phụ lục I. What both require and this module does:
- A4 portrait, margins top and bottom 20 mm (rules: 20–25), left 30 mm (30–35), right 15 mm
  (15–20); Times New Roman (Unicode, TCVN 6909:2001), black; page numbers in Arabic
  figures, centred in the top margin, none on the first page.
- Party header (36-HD/VPTW, Phụ lục 3): top right «ĐẢNG CỘNG SẢN VIỆT NAM» upper case 15 pt
  bold, underlined; top left the superior body («TỈNH ỦY …», upper case 14 pt) over the issuing
  body («BAN DÂN VẬN», upper case 14 pt bold) and an asterisk «*»; under it «Số …-BC/BDVTU»
  (14 pt); opposite, the place and date in italics (14 pt); the document type «BÁO CÁO»
  (15–16 pt bold) and the subject (14–15 pt bold) centred, a short dashed line under them;
  body 14–15 pt; «Nơi nhận:» underlined (14 pt) with the recipients at 12 pt bottom left;
  «T/M BAN DÂN VẬN» and the signer's position upper case bold 14 pt bottom right.
- State header (NĐ 30, Phụ lục I): top right «CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM» (upper case
  12–13 pt bold) over «Độc lập - Tự do - Hạnh phúc» (13–14 pt bold) and a line as long as it;
  top left the body's name (upper case 12–13 pt bold) and a short line; «Số: …/BC-…» (13 pt);
  place and date in italics (13–14 pt); «BÁO CÁO» (13–14 pt bold), the subject (bold) and a
  short line; «Nơi nhận:» bold italic 12 pt, recipients 11 pt; «TM. …» upper case bold.

Text to be written by people is a `Placeholder`: bracketed, italic and highlighted yellow, so
nobody can mistake it for generated content. Every run sets the East Asian and complex-script
font names too, so Word never substitutes a font for Vietnamese letters.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

FONT = "Times New Roman"
PAGE_W, PAGE_H = 210, 297                      # mm, A4
MARGINS = {"top": 20, "bottom": 20, "left": 30, "right": 15}   # mm
TEXT_W = PAGE_W - MARGINS["left"] - MARGINS["right"]           # 165 mm
INDENT_MM = 10                                  # first-line indent of body paragraphs
KEEP_TOGETHER_ROWS = 15                         # tables up to this many rows stay on one page


@dataclass(frozen=True)
class Placeholder:
    """Text only people can write: shown as «[text]», italic, highlighted."""
    text: str


Part = str | Placeholder


@dataclass
class Heading:
    level: int          # 1: «I. TÌNH HÌNH …», 2: «1. Kết quả …»
    text: str


@dataclass
class Para:
    parts: list[Part]
    bullet: bool = False        # a «- » item of a list
    italic: bool = False
    align: str = "justify"      # justify | center | left
    bold: bool = False


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[str]]
    queries: list[str]                      # named queries behind the figures
    numeric: list[bool] = field(default_factory=list)   # right-align these columns
    widths: list[float] | None = None       # mm; None = evenly
    total_row: bool = False                 # the last row is a total (bold)
    note: str = ""                          # a line under the table


@dataclass
class PageBreak:
    pass


Block = Heading | Para | Table | PageBreak


@dataclass
class Letterhead:
    """The header blocks of the first page and the closing blocks."""
    style: str                      # party | state
    superior: str                   # «TỈNH ỦY BẮC NINH» / «ĐẢNG BỘ TỈNH …» / "" (state)
    issuer: str                     # «BAN DÂN VẬN» / «ỦY BAN NHÂN DÂN TỈNH BẮC NINH»
    number: str                     # «Số …-BC/BDVTU»
    place_date: str                 # «Bắc Ninh, ngày … tháng … năm 2026»
    doc_type: str                   # «BÁO CÁO»
    subject: list[str]              # subject lines (trích yếu)
    recipients: list[Part]          # under «Nơi nhận:»
    authority: str                  # «T/M BAN DÂN VẬN»
    position: str                   # «TRƯỞNG BAN»
    signer: Part                    # the signer's name (a placeholder)
    draft_mark: list[str] = field(default_factory=list)   # first-page header lines


# -- low-level helpers ----------------------------------------------------------------------
def set_run_font(run, size: float, bold: bool = False, italic: bool = False,
                 underline: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    run.font.underline = underline
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    szcs = rpr.find(qn("w:szCs"))
    if szcs is None:
        szcs = OxmlElement("w:szCs")
        rpr.append(szcs)
    szcs.set(qn("w:val"), str(int(round(size * 2))))


def _spacing(par, before: float = 0, after: float = 0, line: float | None = None) -> None:
    pf = par.paragraph_format
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    if line is not None:
        pf.line_spacing = line


def add_text(par, text: str, size: float, bold=False, italic=False, underline=False):
    run = par.add_run(text)
    set_run_font(run, size, bold, italic, underline)
    return run


def add_parts(par, parts: list[Part], size: float, bold=False, italic=False) -> None:
    for p in parts:
        if isinstance(p, Placeholder):
            run = add_text(par, f"[{p.text}]", size, bold=bold, italic=True)
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        else:
            add_text(par, p, size, bold=bold, italic=italic)


def _cell_par(cell, first: bool):
    return cell.paragraphs[0] if first else cell.add_paragraph()


def _center_line(cell, text: str, size: float, bold=False, italic=False, underline=False,
                 first=False, align=WD_ALIGN_PARAGRAPH.CENTER):
    par = _cell_par(cell, first)
    par.alignment = align
    _spacing(par, 0, 0, 1.0)
    add_text(par, text, size, bold, italic, underline)
    return par


def _rule(container, length_mm: float, width_mm: float) -> None:
    """A centred horizontal line `length_mm` long (an empty paragraph's bottom border) in a
    table cell or the document body `width_mm` wide."""
    par = container.add_paragraph()
    side = max(0.0, (width_mm - length_mm) / 2)
    par.paragraph_format.left_indent = Mm(side)
    par.paragraph_format.right_indent = Mm(side)
    _spacing(par, 0, 0, 1.0)
    add_text(par, "", 2)
    ppr = par._element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(k), v)
    borders.append(bottom)
    ppr.append(borders)


def _no_borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def _widths(table, widths_mm: list[float]) -> None:
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    for i, w in enumerate(widths_mm):
        table.columns[i].width = Mm(w)
        for cell in table.columns[i].cells:
            cell.width = Mm(w)


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _keep_row_together(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _page_number_field(par) -> None:
    run = par.add_run()
    set_run_font(run, 14)
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "2"),
                       ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == "PAGE":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = " PAGE "
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._element.append(el)


# -- the document ---------------------------------------------------------------------------
class Writer:
    """Builds one report document: letterhead, blocks, closing."""

    def __init__(self, style: str, body_size: float = 14):
        if style not in ("party", "state"):
            raise ValueError("style must be party or state")
        self.style = style
        self.size = float(body_size)
        self.doc = Document()
        self.tables = 0
        self._setup()

    def _setup(self) -> None:
        normal = self.doc.styles["Normal"]
        normal.font.name = FONT
        normal.font.size = Pt(self.size)
        rpr = normal.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.insert(0, fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), FONT)
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), "vi-VN")
        lang.set(qn("w:eastAsia"), "vi-VN")
        rpr.append(lang)
        s = self.doc.sections[0]
        s.orientation = WD_ORIENT.PORTRAIT
        s.page_width, s.page_height = Mm(PAGE_W), Mm(PAGE_H)
        s.top_margin, s.bottom_margin = Mm(MARGINS["top"]), Mm(MARGINS["bottom"])
        s.left_margin, s.right_margin = Mm(MARGINS["left"]), Mm(MARGINS["right"])
        s.header_distance, s.footer_distance = Mm(10), Mm(10)
        s.different_first_page_header_footer = True
        par = s.header.paragraphs[0]
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _page_number_field(par)
        self.doc.core_properties.language = "vi-VN"

    # -- letterhead ---------------------------------------------------------------------
    def letterhead(self, lh: Letterhead) -> None:
        first = self.doc.sections[0].first_page_header
        par = first.paragraphs[0]
        par.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        for i, line in enumerate(lh.draft_mark):
            if i:
                par = first.add_paragraph()
                par.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            add_text(par, line, 12 if i == 0 else 11, bold=i == 0, italic=i > 0)
        self.doc.core_properties.title = " ".join([lh.doc_type, *lh.subject])
        self.doc.core_properties.author = lh.issuer.title()
        if self.style == "party":
            self._party_header(lh)
        else:
            self._state_header(lh)
        par = self.doc.add_paragraph()
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _spacing(par, 12 if self.style == "party" else 6, 0, 1.0)
        add_text(par, lh.doc_type, 16 if self.style == "party" else 14, bold=True)
        for line in lh.subject:
            par = self.doc.add_paragraph()
            par.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _spacing(par, 0, 0, 1.0)
            add_text(par, line, 14, bold=True)
        if self.style == "party":
            par = self.doc.add_paragraph()
            par.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _spacing(par, 0, 6, 1.0)
            add_text(par, "-----", 14)
        else:
            _rule(self.doc, 50, TEXT_W)
            gap = self.doc.add_paragraph()
            _spacing(gap, 0, 4, 1.0)

    def _party_header(self, lh: Letterhead) -> None:
        left_w, right_w = 72.0, TEXT_W - 72.0
        t = self.doc.add_table(rows=2, cols=2)
        _no_borders(t)
        _widths(t, [left_w, right_w])
        left, right = t.cell(0, 0), t.cell(0, 1)
        _center_line(left, lh.superior, 14, first=True)
        _center_line(left, lh.issuer, 14, bold=True)
        _center_line(left, "*", 14)
        _center_line(right, "ĐẢNG CỘNG SẢN VIỆT NAM", 15, bold=True, underline=True,
                     first=True)
        _center_line(t.cell(1, 0), lh.number, 14, first=True)
        _center_line(t.cell(1, 1), lh.place_date, 14, italic=True, first=True,
                     align=WD_ALIGN_PARAGRAPH.RIGHT)
        for c in (left, right):
            c.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP

    def _state_header(self, lh: Letterhead) -> None:
        left_w, right_w = 60.0, TEXT_W - 60.0
        t = self.doc.add_table(rows=2, cols=2)
        _no_borders(t)
        _widths(t, [left_w, right_w])
        left, right = t.cell(0, 0), t.cell(0, 1)
        first = True
        if lh.superior:
            _center_line(left, lh.superior, 13, first=True)
            first = False
        for i, line in enumerate(lh.issuer.split("\n")):
            _center_line(left, line, 13, bold=True, first=first and i == 0)
        _rule(left, 22, left_w)
        _center_line(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 13, bold=True, first=True)
        _center_line(right, "Độc lập - Tự do - Hạnh phúc", 14, bold=True)
        _rule(right, 62, right_w)
        _center_line(t.cell(1, 0), lh.number, 13, first=True)
        _center_line(t.cell(1, 1), lh.place_date, 14, italic=True, first=True)

    # -- body ---------------------------------------------------------------------------
    def heading(self, h: Heading) -> None:
        par = self.doc.add_paragraph()
        par.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        par.paragraph_format.first_line_indent = Mm(INDENT_MM)
        par.paragraph_format.keep_with_next = True
        _spacing(par, 6, 6, 1.15)
        add_text(par, h.text, self.size, bold=True)

    def para(self, p: Para) -> None:
        par = self.doc.add_paragraph()
        par.alignment = {"justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
                         "center": WD_ALIGN_PARAGRAPH.CENTER,
                         "left": WD_ALIGN_PARAGRAPH.LEFT}[p.align]
        if p.align == "justify":
            par.paragraph_format.first_line_indent = Mm(INDENT_MM)
        _spacing(par, 0, 6, 1.15)
        parts = (["- "] if p.bullet else []) + list(p.parts)
        add_parts(par, parts, self.size, bold=p.bold, italic=p.italic)

    def table(self, tb: Table) -> None:
        self.tables += 1
        cap = self.doc.add_paragraph()
        cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
        cap.paragraph_format.keep_with_next = True
        _spacing(cap, 6, 3, 1.0)
        add_text(cap, tb.caption, 13, bold=True)
        size = 12
        t = self.doc.add_table(rows=1 + len(tb.rows), cols=len(tb.header))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        widths = tb.widths or [TEXT_W / len(tb.header)] * len(tb.header)
        _widths(t, widths)
        numeric = tb.numeric or [False] * len(tb.header)
        _repeat_header(t.rows[0])
        for j, text in enumerate(tb.header):
            c = t.cell(0, j)
            c.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            par = c.paragraphs[0]
            par.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _spacing(par, 1, 1, 1.0)
            par.paragraph_format.keep_with_next = True
            add_text(par, text, size, bold=True)
        together = len(tb.rows) <= KEEP_TOGETHER_ROWS   # a short table never splits
        for i, row in enumerate(tb.rows, start=1):
            bold = tb.total_row and i == len(tb.rows)
            _keep_row_together(t.rows[i])
            for j, text in enumerate(row):
                c = t.cell(i, j)
                c.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
                par = c.paragraphs[0]
                par.alignment = (WD_ALIGN_PARAGRAPH.RIGHT if numeric[j]
                                 else WD_ALIGN_PARAGRAPH.LEFT)
                _spacing(par, 1, 1, 1.0)
                par.paragraph_format.keep_with_next = together and i < len(tb.rows)
                add_text(par, str(text), size, bold=bold)
        after = self.doc.add_paragraph()
        _spacing(after, 2, 6, 1.0)
        if tb.note:
            after.alignment = WD_ALIGN_PARAGRAPH.LEFT
            add_text(after, tb.note, 11, italic=True)

    def page_break(self) -> None:
        par = self.doc.add_paragraph()
        _spacing(par, 0, 0, 1.0)
        run = par.add_run()
        set_run_font(run, self.size)
        run.add_break(WD_BREAK.PAGE)

    def blocks(self, blocks: list[Block]) -> None:
        for b in blocks:
            if isinstance(b, Heading):
                self.heading(b)
            elif isinstance(b, Para):
                self.para(b)
            elif isinstance(b, Table):
                self.table(b)
            elif isinstance(b, PageBreak):
                self.page_break()

    # -- closing ------------------------------------------------------------------------
    def closing(self, lh: Letterhead) -> None:
        gap = self.doc.add_paragraph()
        _spacing(gap, 0, 0, 1.0)
        left_w, right_w = 80.0, TEXT_W - 80.0
        t = self.doc.add_table(rows=1, cols=2)
        _no_borders(t)
        _widths(t, [left_w, right_w])
        _keep_row_together(t.rows[0])
        left, right = t.cell(0, 0), t.cell(0, 1)
        par = left.paragraphs[0]
        _spacing(par, 0, 0, 1.0)
        if self.style == "party":
            add_text(par, "Nơi nhận:", 14, underline=True)
            item_size = 12
        else:
            add_text(par, "Nơi nhận:", 12, bold=True, italic=True)
            item_size = 11
        for item in lh.recipients:
            p = left.add_paragraph()
            _spacing(p, 0, 0, 1.0)
            add_parts(p, ["- ", item] if isinstance(item, Placeholder) else [f"- {item}"],
                      item_size)
        _center_line(right, lh.authority, 14, bold=True, first=True)
        _center_line(right, lh.position, 14, bold=True)
        for _ in range(4):
            _center_line(right, "", 14)
        par = right.add_paragraph()
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _spacing(par, 0, 0, 1.0)
        add_parts(par, [lh.signer], 14, bold=True)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.doc.save(buf)
        return buf.getvalue()


def render(letterhead: Letterhead, body: list[Block], appendix: list[Block],
           body_size: float = 14) -> bytes:
    """The .docx bytes: letterhead, body, closing (Nơi nhận, signature), then the appendix on
    its own page."""
    w = Writer(letterhead.style, body_size)
    w.letterhead(letterhead)
    w.blocks(body)
    w.closing(letterhead)
    if appendix:
        w.page_break()
        w.blocks(appendix)
    return w.to_bytes()
