"""Trình chiếu: drawing one slide so that it fits a projector (1280×720 and up) with the
navigation always visible. Used by pages/present.py; the slides come from output/slides.py.

Layout in presentation mode: the slide (title, big number with its sentence in digits, the
tiles, bullets or the figure, the footer) fills the screen above a navigation bar fixed to the
bottom edge. Figures get a fixed height that fits 720 px; the map is drawn beside the number so
it can be taller. Numbers in words are never on the slide: they open the speaker notes.
"""
from __future__ import annotations

import html

import streamlit as st

CHART_HEIGHT = 330          # px: title (2 lines) + number row + chart + footer + bar ≤ 720
MAP_HEIGHT = 450            # px: the map sits beside the number, below the title
MAP_TRACES = ("choroplethmap", "scattermap")

CSS = """
<style>
.dv-title { font-size: 2.05rem; font-weight: 700; line-height: 1.2; color: #1f2937;
            margin: 0; }
.dv-row { display: flex; gap: 2rem; align-items: flex-start; }
.dv-stack { display: block; }
.dv-number { font-size: 3.3rem; font-weight: 800; color: #1d4ed8; line-height: 1; }
.dv-number-label { font-size: 1.05rem; color: #6b7280; margin-top: .3rem; }
.dv-sentence { font-size: 1.4rem; line-height: 1.35; color: #1f2937; flex: 1; }
.dv-stack .dv-sentence { margin-top: 1.2rem; }
.dv-cover { text-align: center; padding: 5vh 0 2vh 0; }
.dv-cover h1 { font-size: 2.9rem; color: #1d4ed8; line-height: 1.2; margin-bottom: 1.2rem; }
.dv-cover p { font-size: 1.55rem; margin: .25rem 0; color: #1f2937; }
.dv-tiles { display: grid; grid-template-columns: repeat(3, 1fr); gap: 1rem; }
.dv-tile { background: #eff4ff; border-radius: .8rem; padding: 1rem .8rem;
           text-align: center; }
.dv-tile b { display: block; font-size: 2.6rem; color: #1d4ed8; line-height: 1.1; }
.dv-tile span { font-size: 1.15rem; color: #1f2937; }
.dv-bullets { font-size: 1.22rem; line-height: 1.35; color: #1f2937; margin: 0; }
.dv-bullets li { margin-bottom: .45rem; }
.dv-footer { font-size: .9rem; color: #6b7280; border-top: 1px solid #e5e7eb;
             padding-top: .3rem; }
.dv-counter { font-size: 1.2rem; text-align: center; padding-top: .4rem; color: #374151;
              white-space: nowrap; }
</style>
"""
# Presentation mode: no app chrome, tighter spacing, the navigation bar fixed at the bottom.
FULL_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stStatusWidget"] { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container {
  padding-top: .9rem !important; padding-bottom: 4.6rem !important; max-width: 100% !important;
  padding-left: 3rem !important; padding-right: 3rem !important; }
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: .7rem; }
.st-key-present_bar { position: fixed; left: 0; right: 0; bottom: 0; z-index: 990;
  background: #ffffff; border-top: 1px solid #e5e7eb; padding: .45rem 3rem .5rem 3rem; }
.st-key-present_bar button { min-height: 2.2rem; padding: .2rem .5rem; }
.st-key-present_bar [data-testid="stHorizontalBlock"] { gap: .5rem; align-items: center; }
</style>
"""
# Keyboard: → / PageDown / Space next, ← / PageUp previous, Home first, End last,
# F full screen (browser), Esc leaves presentation mode. Clicks the page's own buttons.
# A new slide opens at its top: when the counter changes, every scrolled container goes up.
KEYS_JS = """
<script>
(function () {
  if (window.__dvSlideKeys) return;
  window.__dvSlideKeys = true;
  function click(key) {
    var all = document.querySelectorAll('.st-key-' + key + ' button');
    for (var i = 0; i < all.length; i++) {   // the visible one (a hidden copy may exist)
      if (all[i].offsetParent !== null) {
        if (all[i].disabled) return false;
        all[i].click(); return true;
      }
    }
    return false;
  }
  var shown = null;
  function toTop() {
    var c = document.querySelector('[data-testid="dv-counter"]');
    var now = c ? c.textContent : null;
    if (now !== null && now !== shown) {
      shown = now;
      var main = document.querySelector('[data-testid="stMain"]');
      if (main) main.scrollTop = 0;
      document.documentElement.scrollTop = 0; document.body.scrollTop = 0;
    }
  }
  new MutationObserver(toTop).observe(document.body, {subtree: true, childList: true,
                                                      characterData: true});
  toTop();
  document.addEventListener('keydown', function (e) {
    var t = e.target, tag = t && t.tagName ? t.tagName.toLowerCase() : '';
    if (tag === 'input' || tag === 'textarea' || tag === 'select' || (t && t.isContentEditable))
      return;
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (!document.querySelector('.st-key-present_next')) return;  // another page is shown
    var k = e.key, done = false;
    if (k === 'ArrowRight' || k === 'PageDown' || k === ' ') done = click('present_next');
    else if (k === 'ArrowLeft' || k === 'PageUp') done = click('present_prev');
    else if (k === 'Home') done = click('present_first');
    else if (k === 'End') done = click('present_last');
    else if (k === 'Escape' && !document.fullscreenElement) done = click('present_exit');
    else if (k === 'f' || k === 'F') {
      if (document.fullscreenElement) document.exitFullscreen();
      else document.documentElement.requestFullscreen().catch(function () {});
      done = true;
    }
    if (done) e.preventDefault();
  });
})();
</script>
"""


def styles(full: bool) -> None:
    st.html(CSS + (FULL_CSS if full else ""))


def is_map(fig) -> bool:
    return fig is not None and any(t.type in MAP_TRACES for t in fig.data)


def _number_block(s, stacked: bool) -> str:
    esc = html.escape
    return (f'<div class="{"dv-stack" if stacked else "dv-row"}"><div><div class="dv-number" '
            f'data-testid="dv-number">{esc(s.number)}</div><div class="dv-number-label">'
            f'{esc(s.number_label)}</div></div><div class="dv-sentence">{esc(s.sentence)}'
            '</div></div>')


def _figure(s, height: int):
    fig = s.figure.__class__(s.figure)
    if is_map(fig):
        fig.update_layout(width=None, height=height, margin=dict(l=0, r=0, t=0, b=0))
    else:
        fig.update_layout(width=None, height=height, font_size=17)
    from dashboard.access import safe_text

    st.plotly_chart(safe_text.plotly_figure(fig), theme=None,
                    config={"displaylogo": False, "displayModeBar": False},
                    key=f"present_fig_{s.key}")


def slide(s) -> None:
    """One slide, laid out to fit the screen."""
    esc = html.escape
    if s.key == "title":
        lines = "".join(f"<p>{esc(x)}</p>" for x in s.subtitle if x)
        st.html(f'<div class="dv-cover"><h1>{esc(s.title)}</h1>{lines}</div>')
    else:
        st.html(f'<div class="dv-title">{esc(s.title)}</div>')
        if s.figure is not None and is_map(s.figure):
            left, right = st.columns([1, 2.3], gap="large")
            with left:
                if s.number:
                    st.html(_number_block(s, stacked=True))
                elif s.sentence:
                    st.html(f'<div class="dv-sentence">{esc(s.sentence)}</div>')
            with right:
                _figure(s, MAP_HEIGHT)
        else:
            if s.number:
                st.html(_number_block(s, stacked=False))
            elif s.sentence:
                st.html(f'<div class="dv-sentence">{esc(s.sentence)}</div>')
            if s.kpis:
                tiles = "".join(f'<div class="dv-tile"><b>{esc(v)}</b><span>{esc(k)}</span>'
                                "</div>" for k, v in s.kpis)
                st.html(f'<div class="dv-tiles">{tiles}</div>')
            if s.bullets:
                items = "".join(f"<li>{esc(b)}</li>" for b in s.bullets)
                st.html(f'<ul class="dv-bullets">{items}</ul>')
            if s.figure is not None:
                _figure(s, CHART_HEIGHT)
    st.html(f'<div class="dv-footer">Trình chiếu · {esc(s.footer)}</div>')


def notes_text(s) -> str:
    text = s.notes or "Trang này không có ghi chú."
    if s.queries:
        text += "\n\nSố liệu từ truy vấn: " + ", ".join(f"queries/{q}.sql" for q in s.queries)
    return text


def keyboard() -> None:
    st.html(KEYS_JS, unsafe_allow_javascript=True)


def report_download(db, f: dict, who) -> None:
    """The draft «Báo cáo sơ kết» in Word for the current filters (presenters and above)."""
    from dashboard.access import audit
    from dashboard.output import report
    from dashboard.web import ui

    with st.expander("Dự thảo báo cáo sơ kết (Word)"):
        style = st.radio("Thể thức", report.STYLES, format_func=report.STYLE_LABELS.get,
                         horizontal=True, key="report_style")

        def report_bytes() -> bytes:
            data = report.report_docx(db, f["as_of"], f["communes"], who, style)
            audit.record(ui.base_db(), who, "export", report.audit_detail(
                f["as_of"], f["communes"], style, "so_ket"), address=st.context.ip_address)
            return data
        st.download_button("Tải dự thảo báo cáo (.docx)", icon=":material/description:",
                           data=report_bytes, file_name=report.file_name(f["as_of"], f["communes"]),
                           mime=report.DOCX_MIME, key="present_report", on_click="ignore",
                           help="Báo cáo theo thể thức văn bản, số liệu đúng bộ lọc đang chọn; "
                                "phần tô vàng do cán bộ bổ sung")
