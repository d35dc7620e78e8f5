"""Under every chart and table: the approval state of the data ("Số liệu đã duyệt đến tháng
…") and the "Bình luận" expander — comments tied to this figure and the page's URL state,
replies, resolve, and a place in the meeting pack. Comment text is user text: drawn with
st.text (never markdown or HTML)."""
from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from dashboard.access.principal import LOCAL, Principal
from dashboard.i18n import fmt
from dashboard.reporting import approvals, comments
from dashboard.web import urlstate

PAGE_KEY = "_page_url"          # set by app.py: the url path of the page being run
_MD = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def current_principal() -> Principal:
    """Who the session runs as (the access layer sets it; local mode: LOCAL)."""
    return st.session_state.get("principal") or LOCAL


def md_escape(text) -> str:
    """User text safe inside st.caption / st.markdown (every markdown character escaped)."""
    return _MD.sub(r"\\\1", str(text if text is not None else ""))


def current_page() -> str:
    return st.session_state.get(PAGE_KEY) or ""


def view_query() -> str:
    return urlstate.query_string({k: st.query_params.get(k) for k in st.query_params})


def _filters_communes():
    from dashboard.web import ui

    return ui.filters().get("communes")


def approval_text(communes=None) -> str:
    """'Số liệu đã duyệt đến tháng …' for these communes (default: the filters'), '' while
    none is approved: asked once per run, shared by sessions until the data or an approval
    changes."""
    from dashboard.web import ui

    chosen = communes if communes is not None else _filters_communes()
    who = current_principal()
    db = ui.get_db()
    return ui.per_run(("approval", tuple(chosen) if chosen is not None else None, who),
                      lambda: ui.derived(
                          "approval_footer", {"approvals": approvals.version(db),
                                              "communes": chosen, "scope": who.scope},
                          lambda: approvals.footer_text(db, chosen, who)))


def approval_caption(communes=None) -> None:
    text = approval_text(communes)
    if text:
        st.caption(f":material/verified: {text}")


def figure_footer(key: str, title: str | None = None) -> None:
    """Approval caption and the comments of one figure (one call from ui.chart / ui.table)."""
    approval_caption()
    comment_box(key, title)


def _when(ts) -> str:
    t = pd.Timestamp(ts)
    return f"{fmt.date(t.date())} {t:%H:%M}"


def _thread(db, p: Principal, row, replies: pd.DataFrame, key: str, page: str) -> None:
    resolved = pd.notna(row.resolved_at)
    head = (f"**{md_escape(row.author)}** · {_when(row.created_at)}"
            + (" · :green[đã xử lý]" if resolved else "")
            + (f" · trong bộ tài liệu họp ({comments.SLIDES.get(row.slide_key, '')})"
               if row.in_pack else ""))
    st.caption(head)
    st.text(row.body)
    if isinstance(row.view_query, str) and row.view_query != view_query():
        st.link_button("Mở đúng màn hình của bình luận", f"/{row.page}?{row.view_query}",
                       icon=":material/open_in_new:")
    for r in replies.itertuples(index=False):
        st.caption(f"↳ **{md_escape(r.author)}** · {_when(r.created_at)}")
        st.text("    " + r.body.replace("\n", "\n    "))
    cid = int(row.comment_id)
    c1, c2 = st.columns([3, 1])
    with c1:
        with st.form(f"cm_reply_{key}_{cid}", clear_on_submit=True, border=False):
            text = st.text_input("Trả lời", key=f"cm_reply_text_{key}_{cid}",
                                 placeholder="Viết trả lời…", label_visibility="collapsed")
            if st.form_submit_button("Trả lời") and text.strip():
                _do(lambda: comments.add(db, p, page, key, text, parent_id=cid))
    with c2:
        label = "Mở lại" if resolved else "Đã xử lý"
        if st.button(label, key=f"cm_resolve_{key}_{cid}"):
            _do(lambda: comments.resolve(db, p, cid, not resolved))
    st.divider()


def _do(action) -> None:
    try:
        action()
    except comments.CommentError as exc:
        st.error(str(exc))
    else:
        st.rerun()


def comment_box(key: str, title: str | None = None) -> None:
    from dashboard.web import ui

    db = ui.get_db()
    p = current_principal()
    page = current_page()
    on_page = ui.per_run(("comments", page, p), lambda: comments.for_page(db, p, page))
    mine = on_page[on_page.figure_key == key].reset_index(drop=True)
    tops = mine[mine.parent_id.isna()] if len(mine) else mine
    open_n = int(tops.resolved_at.isna().sum()) if len(tops) else 0
    label = "Bình luận" + (f" ({fmt.number(len(tops))}, {fmt.number(open_n)} chưa xử lý)"
                           if len(tops) else "")
    # the threads and the form are built only while the box is open (a page has a box under
    # every figure; opening one reruns the page)
    box = st.expander(label, icon=":material/chat:", expanded=False, key=f"cm_open_{key}",
                      on_change="rerun")
    if not box.open:
        return
    with box:
        for row in tops.itertuples(index=False):
            replies = mine[mine.parent_id == row.comment_id]
            _thread(db, p, row, replies, key, page)
        if not p.can("comment"):
            return
        with st.form(f"cm_new_{key}", clear_on_submit=True):
            body = st.text_area("Bình luận mới về hình này", key=f"cm_text_{key}",
                                max_chars=comments.config.get("comment_max_chars"),
                                placeholder="Nhận xét, câu hỏi, giải thích số liệu…")
            slides = list(comments.SLIDES)
            c1, c2 = st.columns([1, 1])
            in_pack = c1.checkbox("Đưa vào ghi chú trang chiếu của bộ tài liệu họp",
                                  key=f"cm_pack_{key}")
            slide = c2.selectbox("Trang chiếu", slides, format_func=comments.SLIDES.get,
                                 index=slides.index(comments.slide_for(key, page)),
                                 key=f"cm_slide_{key}", label_visibility="collapsed")
            if st.form_submit_button("Gửi bình luận", type="primary"):
                _do(lambda: comments.add(db, p, page, key, body, view_query(),
                                         _filters_communes(), title or "", in_pack=in_pack,
                                         slide_key=slide))


def feed_item(r) -> None:
    """One comment of the feed: who, when, on which figure, the text, a link to its view."""
    reply = pd.notna(r.parent_id)
    where = md_escape(r.figure_title or r.figure_key)
    st.caption(("↳ " if reply else "") + f"**{md_escape(r.author)}** · {_when(r.created_at)}"
               f" · {md_escape(r.page)} / {where}"
               + (" · :green[đã xử lý]" if pd.notna(r.resolved_at) else ""))
    st.text(r.body)
    if not reply:
        st.link_button("Mở hình được bình luận", f"/{r.page}?{r.view_query or ''}",
                       icon=":material/open_in_new:")
