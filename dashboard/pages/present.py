"""Trình chiếu: one slide at a time that fits the projector, keyboard navigation, the speaker
notes in a panel, meeting pack downloads. Drawing lives in dashboard/web/slideshow.py.

The slide number lives in the URL (?slide=2) next to the shared filters, so a link reopens
the same slide with the same figures; ?full=0 shows the app's sidebar and header again.
"""
import streamlit as st

from dashboard.access import audit
from dashboard.i18n import fmt
from dashboard.output import pack, slides
from dashboard.reporting import approvals, comments
from dashboard.web import discuss, evaluation_data, slideshow, ui, urlstate

PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def _filters(as_of: str, communes: tuple | None, phases: tuple, chosen: tuple) -> dict:
    return {"as_of": as_of, "communes": list(communes) if communes else None,
            "phases": list(phases), "chosen": list(chosen)}


# The deck is built one slide at a time: the outline (context, headline figures, slide keys)
# from the cheap queries, then only the slide on screen; the meeting pack builds the rest
# when it is downloaded. Keyed by data version, approvals and filters, shared by sessions.
@st.cache_data(show_spinner=False, max_entries=16)
def _outline(path: str, version: str, as_of: str, communes: tuple | None, phases: tuple,
             chosen: tuple) -> slides.Outline:
    return slides.outline(ui.get_db(), _filters(as_of, communes, phases, chosen))


@st.cache_data(show_spinner=False, max_entries=64)
def _slide(path: str, version: str, as_of: str, communes: tuple | None, phases: tuple,
           chosen: tuple, key: str) -> slides.Slide | None:
    plan = _outline(path, version, as_of, communes, phases, chosen)
    # the evaluation slide reads the findings the Thí điểm page caches (and leaves them for it)
    return slides.build_slide(ui.get_db(), plan, key, findings=evaluation_data.key_findings)


f = ui.filters()
db = ui.get_db()
args = (str(db.path), f"{ui.data_version(db)}/{approvals.version(db)}", f["as_of"].isoformat(),
        tuple(f["communes"]) if f["communes"] else None, tuple(f.get("phases") or ()),
        tuple(f.get("chosen") or ()))
# a slide found unavailable (the evaluation summary when it cannot be computed) is left out
absent = st.session_state.setdefault("_present_absent", {}).setdefault(args, set())
keys = [k for k in _outline(*args).keys if k not in absent]
state = urlstate.decode(st.query_params, keys=["slide", "full"], types={"full": "bool"})
index = min(max(int(state.get("slide", 1)), 1), len(keys))
while (s := _slide(*args, keys[index - 1])) is None:
    absent.add(keys.pop(index - 1))
    index = min(index, len(keys))
total = len(keys)
pack_notes = comments.pack_notes(db, discuss.current_principal(), f["communes"])
s = comments.with_notes(s, comments.place_pack_notes(pack_notes, keys).get(s.key))
full = state.get("full", True)
if str(index) != st.query_params.get("slide"):
    st.query_params["slide"] = str(index)


def whole_deck() -> list:
    """Every slide, for the meeting pack (built only when a download asks for it)."""
    deck = [x for x in (_slide(*args, k) for k in keys) if x is not None]
    return comments.with_pack_notes(db, deck, notes=pack_notes)


def go(to: int) -> None:
    st.query_params["slide"] = str(min(max(to, 1), total))


def set_full(value: bool) -> None:
    if value:
        st.query_params.pop("full", None)
    else:
        st.query_params["full"] = "0"


slideshow.styles(full)
slideshow.slide(s)

stem = pack.file_name(f["as_of"], "").rstrip(".")
who = ui.principal()
may_pack = ui.can("pack")         # presenters and above download the pack


def _logged(kind, build, arg):
    audit.record(ui.base_db(), who, "pack", f"{kind} {stem}")
    return build(arg)


with st.container(key="present_bar"):
    if full:      # one row across the screen
        nav = st.columns([0.75, 0.85, 0.55, 0.8, 0.75, 1.15, 0.7, 0.95, 1.15, 1.3, 1.55])
    else:         # beside the sidebar: navigation, then the actions
        nav = st.columns([1, 1, 0.7, 1, 1, 2.3])[:5] + st.columns([1.3, 0.8, 1.1, 1, 1.5, 1.3])
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
                  help="Trang cuối (End)", on_click=go, args=(total,),
                  disabled=index == total, width="stretch")
    if may_pack:         # presenters and above; a viewer sees no download at all
        nav[5].download_button("PowerPoint", icon=":material/download:",
                               data=lambda: _logged("PowerPoint", pack.pptx_bytes, whole_deck()),
                               file_name=f"{stem}.pptx", mime=PPTX_MIME, key="present_pptx",
                               on_click="ignore", width="stretch",
                               help="Bộ trang chiếu PowerPoint 16:9 (có ghi chú cho người "
                                    "trình bày) của bộ lọc hiện tại")
        nav[6].download_button("PDF", icon=":material/download:",
                               data=lambda: _logged("PDF", pack.pdf_bytes, whole_deck()),
                               file_name=f"{stem}.pdf", mime="application/pdf",
                               key="present_pdf", on_click="ignore", width="stretch",
                               help="Bộ trang chiếu dạng PDF")
    if s.figure is not None and may_pack:
        nav[7].download_button("Ảnh PNG", icon=":material/image:",
                               data=lambda: _logged("PNG", pack.figure_png, s.figure),
                               file_name=f"{stem}-{index}-{s.key}.png", mime="image/png",
                               key="present_png", on_click="ignore", width="stretch",
                               help="Biểu đồ của trang này thành ảnh PNG sắc nét")
    with nav[8].popover("Ghi chú", icon=":material/speaker_notes:", width="stretch",
                        help="Ghi chú cho người trình bày: câu đọc to (số bằng chữ), số liệu "
                             "chính, lưu ý"):
        st.text(slideshow.notes_text(s))
    with nav[9]:
        ui.copy_link_button("present")
    if full:
        nav[10].button("Thoát trình chiếu", icon=":material/close_fullscreen:", key="present_exit",
                       on_click=set_full, args=(False,),
                       help="Thoát trình chiếu: hiện lại thanh bên và bộ lọc (Esc)",
                       width="stretch")
    else:
        nav[10].button("Trình chiếu", icon=":material/slideshow:", key="present_enter",
                       on_click=set_full, args=(True,), type="primary",
                       help="Ẩn thanh bên và thanh công cụ, chữ lớn", width="stretch")

if not full:
    with st.expander("Ghi chú cho người trình bày", expanded=True):
        st.text(slideshow.notes_text(s))
    if ui.can("export"):      # the written report (dashboard/output/report.py)
        slideshow.report_download(db, f, who)
    st.caption("Phím tắt: → hoặc dấu cách sang trang, ← lùi trang, Home/End trang đầu/cuối, "
               "F toàn màn hình, Esc thoát trình chiếu. Số liệu tính đến "
               f"{fmt.date(f['as_of'])}; bộ tài liệu dùng đúng bộ lọc đang chọn.")
# last, so the first element of the page is the slide itself (a script element is invisible)
slideshow.keyboard()
