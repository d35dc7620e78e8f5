"""Saved questions in the app: the 'Lưu câu hỏi' block and the list of saved questions on
Phân tích SQL, and the pinned questions on Tổng quan. Rules live in dashboard/reporting/
questions.py; user text (names, descriptions) is shown as plain text."""
from __future__ import annotations

import streamlit as st

from dashboard import config, sandbox
from dashboard.i18n import fmt
from dashboard.reporting import questions
from dashboard.web import discuss, ui


def save_block(sql: str, params: dict) -> None:
    """Under an explorer result: save the statement and its parameter values."""
    me = discuss.current_principal()
    if not me.can("save_question"):
        return
    with st.expander("Lưu câu hỏi này", icon=":material/bookmark_add:"):
        with st.form("sq_save", clear_on_submit=True):
            name = st.text_input("Tên câu hỏi", key="sq_name", max_chars=120)
            desc = st.text_area("Mô tả (câu hỏi trả lời điều gì, đọc kết quả thế nào)",
                                key="sq_desc", height=80)
            c1, c2 = st.columns(2)
            pin = c1.checkbox("Hiện trên trang Tổng quan", key="sq_pin")
            display = c2.selectbox("Hiển thị dạng", list(questions.DISPLAYS),
                                   format_func=questions.DISPLAYS.get, key="sq_display")
            if st.form_submit_button("Lưu câu hỏi", type="primary"):
                try:
                    qid = questions.save(ui.get_db(), me, name, sql, desc, params, pin,
                                         display)
                    st.success(f"Đã lưu câu hỏi số {qid}.")
                except questions.QuestionError as exc:
                    st.error(str(exc))


def saved_list() -> None:
    """Find a saved question (in scope), rerun it read-only, or open it in the editor."""
    db = ui.get_db()
    me = discuss.current_principal()
    found = questions.find(db, me)
    st.subheader(f"Câu hỏi đã lưu ({fmt.number(len(found))})")
    if found.empty:
        st.caption("Chưa có câu hỏi nào được lưu trong phạm vi của bạn.")
        return
    search = st.text_input("Tìm câu hỏi đã lưu", key="sq_search",
                           placeholder="tên hoặc mô tả, không cần dấu")
    found = questions.find(db, me, search)
    labels = {int(r.question_id): f"{r.name} — {r.created_by}, "
              f"{fmt.date(r.created_at)}" for r in found.itertuples()}
    if not labels:
        st.caption("Không có câu hỏi nào khớp.")
        return
    qid = st.selectbox("Câu hỏi", list(labels), format_func=labels.get, key="sq_pick")
    q = found[found.question_id == qid].iloc[0]
    if isinstance(q["description"], str):
        st.text(q["description"])
    st.code(q["sql"], language="sql")
    c1, c2, _ = st.columns([1, 2, 3])
    if c1.button("▶ Chạy lại", key="sq_run"):
        try:
            st.session_state["sq_result"] = (qid, questions.run(db, me, qid).df)
        except questions.QuestionError as exc:
            st.error(str(exc))
    link = sandbox.explorer_query_params(None, questions.params_of(q), q["sql"])
    c2.page_link("../pages/sql.py", label="Mở trong trình soạn SQL", query_params=link,
                 icon=":material/edit:")
    last = st.session_state.get("sq_result")
    if last and last[0] == qid:
        ui.table(last[1], key=f"sq_table_{qid}", title=str(q["name"]))
    if me.can("save_question"):
        c1, c2, c3, c4 = st.columns([2, 2, 1, 1])
        pin = c1.checkbox("Hiện trên Tổng quan", value=bool(q["on_overview"]),
                          key=f"sq_pin_{qid}")
        shown = c2.selectbox("Dạng", list(questions.DISPLAYS), key=f"sq_disp_{qid}",
                             index=list(questions.DISPLAYS).index(q["display"]),
                             format_func=questions.DISPLAYS.get, label_visibility="collapsed")
        try:
            if c3.button("Lưu", key=f"sq_upd_{qid}"):
                questions.set_overview(db, me, qid, pin, shown)
                st.rerun()
            if c4.button("Xóa", key=f"sq_del_{qid}", icon=":material/delete:"):
                questions.delete(db, me, qid)
                st.session_state.pop("sq_pick", None)
                st.rerun()
        except questions.QuestionError as exc:
            st.error(str(exc))


@st.cache_data(show_spinner=False, max_entries=64)
def _pinned_result(path: str, version: int, qid: int, updated: str, principal):
    return questions.run(ui.get_db(), principal, qid,
                         max_rows=config.get("question_overview_rows"), audit_it=False).df


def overview_block() -> None:
    """The saved questions pinned to Tổng quan, as a table or a chart."""
    db = ui.get_db()
    me = discuss.current_principal()
    pinned = questions.find(db, me, on_overview=True)
    if pinned.empty:
        return
    st.subheader("Câu hỏi đã lưu")
    for q in pinned.itertuples(index=False):
        st.markdown(f"**{discuss.md_escape(q.name)}**")
        if isinstance(q.description, str):
            st.caption(discuss.md_escape(q.description))
        try:
            df = _pinned_result(str(db.path), db.data_version(), int(q.question_id),
                                str(q.updated_at), me)
        except questions.QuestionError as exc:
            st.warning(str(exc))
            continue
        fig = questions.chart(df, q.display) if q.display != "table" else None
        if fig is not None:
            ui.chart(fig, f"sq_chart_{q.question_id}", height=380)
        else:
            ui.table(df, key=f"sq_pinned_{q.question_id}", title=str(q.name))
