"""Trình chiếu: one slide at a time, large type, keyboard navigation, meeting pack downloads.

The slide number lives in the URL (?slide=2) next to the shared filters, so a link reopens
the same slide with the same figures; ?full=0 shows the app's sidebar and header again.
"""
import html

import streamlit as st

from dashboard.access import audit, safe_text
from dashboard.i18n import fmt
from dashboard.output import pack, report, slides
from dashboard.reporting import approvals, comments
from dashboard.web import discuss, ui, urlstate

PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


@st.cache_data(show_spinner=False, max_entries=16)
def _deck(path: str, version: int, as_of: str, communes: tuple | None, phases: tuple,
          chosen: tuple) -> list:
    return slides.build(ui.get_db(), {"as_of": as_of, "communes": list(communes) if communes
                                      else None, "phases": list(phases),
                                      "chosen": list(chosen)})


f = ui.filters()
db = ui.get_db()
deck = _deck(str(db.path), f"{db.data_version()}/{approvals.version(db)}",
             f["as_of"].isoformat(),
             tuple(f["communes"]) if f["communes"] else None, tuple(f.get("phases") or ()),
             tuple(f.get("chosen") or ()))
deck = comments.with_pack_notes(db, deck, discuss.current_principal(), f["communes"])
total = len(deck)
state = urlstate.decode(st.query_params, keys=["slide", "full"], types={"full": "bool"})
index = min(max(int(state.get("slide", 1)), 1), total)
full = state.get("full", True)
if str(index) != st.query_params.get("slide"):
    st.query_params["slide"] = str(index)


def go(to: int) -> None:
    st.query_params["slide"] = str(min(max(to, 1), total))


def set_full(value: bool) -> None:
    if value:
        st.query_params.pop("full", None)
    else:
        st.query_params["full"] = "0"


CSS = """
<style>
.dv-title { font-size: 2.5rem; font-weight: 700; line-height: 1.2; color: #1f2937;
            margin: 0 0 .6rem 0; }
.dv-row { display: flex; gap: 2.5rem; align-items: flex-start; margin-bottom: .4rem; }
.dv-number { font-size: 4.4rem; font-weight: 800; color: #1d4ed8; line-height: 1; }
.dv-number-label { font-size: 1.15rem; color: #6b7280; margin-top: .35rem; }
.dv-sentence { font-size: 1.7rem; line-height: 1.35; color: #1f2937; flex: 1; }
.dv-cover { text-align: center; padding: 9vh 0 6vh 0; }
.dv-cover h1 { font-size: 3.4rem; color: #1d4ed8; line-height: 1.2; }
.dv-cover p { font-size: 1.8rem; margin: .3rem 0; color: #1f2937; }
.dv-tiles { display: grid; grid-template-columns: repeat(3, 1fr); gap: 1.2rem;
            margin-top: 1.2rem; }
.dv-tile { background: #eff4ff; border-radius: .8rem; padding: 1.4rem 1rem;
           text-align: center; }
.dv-tile b { display: block; font-size: 3rem; color: #1d4ed8; line-height: 1.1; }
.dv-tile span { font-size: 1.3rem; color: #1f2937; }
.dv-bullets { font-size: 1.45rem; line-height: 1.4; color: #1f2937; margin-top: 1rem; }
.dv-bullets li { margin-bottom: .7rem; }
.dv-footer { font-size: .95rem; color: #6b7280; border-top: 1px solid #e5e7eb;
             padding-top: .4rem; margin-top: .4rem; }
.dv-counter { font-size: 1.3rem; text-align: center; padding-top: .35rem; color: #374151; }
</style>
"""
FULL_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stStatusWidget"] { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container {
  padding-top: 1.2rem !important; padding-bottom: 1rem !important; max-width: 100% !important;
  padding-left: 3rem !important; padding-right: 3rem !important; }
</style>
"""
# Keyboard: → / PageDown / Space next, ← / PageUp previous, Home first, End last,
# F full screen (browser), Esc leaves presentation mode. Clicks the page's own buttons.
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

st.html(CSS + (FULL_CSS if full else ""))

s = deck[index - 1]
esc = html.escape
if s.key == "title":
    lines = "".join(f"<p>{esc(x)}</p>" for x in s.subtitle if x)
    st.html(f'<div class="dv-cover"><h1>{esc(s.title)}</h1>{lines}</div>')
else:
    st.html(f'<div class="dv-title">{esc(s.title)}</div>')
    if s.number:
        st.html(f'<div class="dv-row"><div><div class="dv-number" data-testid="dv-number">'
                f'{esc(s.number)}</div><div class="dv-number-label">{esc(s.number_label)}'
                f'</div></div><div class="dv-sentence">{esc(s.sentence)}</div></div>')
    elif s.sentence:
        st.html(f'<div class="dv-sentence">{esc(s.sentence)}</div>')
    if s.kpis:
        tiles = "".join(f'<div class="dv-tile"><b>{esc(v)}</b><span>{esc(k)}</span></div>'
                        for k, v in s.kpis)
        st.html(f'<div class="dv-tiles">{tiles}</div>')
    if s.bullets:
        items = "".join(f"<li>{esc(b)}</li>" for b in s.bullets)
        st.html(f'<ul class="dv-bullets">{items}</ul>')
    if s.figure is not None:
        fig = s.figure.__class__(s.figure)
        if any(t.type in ("choroplethmap", "scattermap") for t in fig.data):
            fig.update_layout(width=None)   # a map keeps its height (its zoom fits it)
        else:
            fig.update_layout(width=None, height=470 if full else 430, font_size=19)
        safe_text.plotly_figure(fig)
        st.plotly_chart(fig, theme=None, config={"displaylogo": False, "displayModeBar": False},
                        key=f"present_fig_{s.key}")
st.html(f'<div class="dv-footer">{esc(s.footer)}</div>')

nav = st.columns([1, 1, 0.8, 1, 1, 3.2])
nav[0].button("Đầu", icon=":material/first_page:", key="present_first",
              help="Trang đầu (Home)", on_click=go, args=(1,), disabled=index == 1,
              width="stretch")
nav[1].button("Trước", icon=":material/chevron_left:", key="present_prev",
              help="Trang trước (←)", on_click=go, args=(index - 1,), disabled=index == 1,
              width="stretch")
nav[2].html(f'<div class="dv-counter" data-testid="dv-counter">{index} / {total}</div>')
nav[3].button("Sau", icon=":material/chevron_right:", key="present_next",
              help="Trang sau (→, dấu cách)", on_click=go, args=(index + 1,),
              disabled=index == total, width="stretch")
nav[4].button("Cuối", icon=":material/last_page:", key="present_last",
              help="Trang cuối (End)", on_click=go, args=(total,), disabled=index == total,
              width="stretch")
nav[5].caption("**Trình chiếu** · ← → hoặc dấu cách: chuyển trang · F: toàn màn hình · "
                "Esc: thoát" if full else "**Trình chiếu** · ← →: chuyển trang")

act = st.columns([1.3, 1, 1.1, 1.4, 1.5, 1.2])
stem = pack.file_name(f["as_of"], "").rstrip(".")
who = ui.principal()


def _logged(kind, build, arg):
    from dashboard.access import audit

    audit.record(ui.base_db(), who, "pack", f"{kind} {stem}")
    return build(arg)


if ui.can("pack"):         # presenters and above download the pack
    act[0].download_button("PowerPoint", icon=":material/download:",
                           data=lambda: _logged("PowerPoint", pack.pptx_bytes, deck),
                           file_name=f"{stem}.pptx", mime=PPTX_MIME, key="present_pptx",
                           on_click="ignore", width="stretch",
                           help="Tải bộ trang chiếu PowerPoint 16:9 của bộ lọc hiện tại")
    act[1].download_button("PDF", icon=":material/download:",
                           data=lambda: _logged("PDF", pack.pdf_bytes, deck),
                           file_name=f"{stem}.pdf", mime="application/pdf", key="present_pdf",
                           on_click="ignore", width="stretch",
                           help="Tải bộ trang chiếu dạng PDF")
    if s.figure is not None:
        act[2].download_button("Ảnh PNG", icon=":material/image:",
                               data=lambda: _logged("PNG", pack.figure_png, s.figure),
                               file_name=f"{stem}-{index}-{s.key}.png", mime="image/png",
                               key="present_png", on_click="ignore", width="stretch",
                               help="Tải biểu đồ của trang này thành ảnh PNG sắc nét")
with act[3]:
    ui.copy_link_button("present")
if full:
    act[4].button("Thoát trình chiếu", icon=":material/close_fullscreen:", key="present_exit",
                  on_click=set_full, args=(False,), help="Hiện lại thanh bên và bộ lọc (Esc)",
                  width="stretch")
else:
    act[4].button("Trình chiếu", icon=":material/slideshow:", key="present_enter",
                  on_click=set_full, args=(True,), type="primary",
                  help="Ẩn thanh bên và thanh công cụ, chữ lớn", width="stretch")

with st.expander("Ghi chú cho người trình bày", expanded=not full):
    st.text(s.notes)
    if s.queries:
        st.caption("Số liệu từ truy vấn: " + ", ".join(f"`queries/{q}.sql`" for q in s.queries))
# -- written report: a draft «Báo cáo sơ kết» in Word (dashboard/output/report.py) --------------
if ui.can("export"):
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
if not full:
    st.caption("Phím tắt: → hoặc dấu cách sang trang, ← lùi trang, Home/End trang đầu/cuối, "
               "F toàn màn hình, Esc thoát trình chiếu. Số liệu tính đến "
               f"{fmt.date(f['as_of'])}; bộ tài liệu dùng đúng bộ lọc đang chọn.")
# last, so the first element of the page is the slide itself (an empty script element is
# invisible)
st.html(KEYS_JS, unsafe_allow_javascript=True)
