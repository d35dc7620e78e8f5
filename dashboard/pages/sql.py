"""Phân tích SQL: read-only SQL over the data, example queries, schema browser, downloads.

Every rule (one SELECT, no files/network/settings, time/row/memory limits) lives in
dashboard/sandbox/; the sections are drawn by dashboard/web/sql_view.py. Only for analysts and
above. A link may open it with a named query: ?q=<name>&p_<param>=<value>… or with ad hoc
SQL: ?sql=<text>&p_<param>=<value>… (the editor is filled; nothing runs before «Chạy»).
"""
import streamlit as st

from dashboard import sandbox
from dashboard.i18n import fmt
from dashboard.web import questions_ui, sql_view, ui

ui.require("sql")
f = ui.filters()
limits = sandbox.Limits.from_env()
examples = sql_view.examples()
sql_view.init_state()

st.title("Phân tích SQL")
ui.demo_banner()
st.caption(
    f"Chỉ đọc: mỗi lần một câu lệnh SELECT trên các bảng dữ liệu và danh mục chính thức. "
    f"Giới hạn {fmt.number(limits.timeout_s, 1)} giây mỗi câu lệnh, hiển thị tối đa "
    f"{fmt.number(limits.max_rows)} dòng (tải xuống tối đa {fmt.number(limits.download_rows)} "
    f"dòng), bộ nhớ {limits.memory_limit}. Không ghi, sửa, xóa dữ liệu, không đổi cấu hình, "
    "không đọc tệp hay mạng.")

left, right = st.columns([3, 2], gap="large")
with left:
    st.selectbox(
        "Truy vấn mẫu (các truy vấn có tên)",
        [sql_view.EXAMPLE_NONE, *examples],
        format_func=lambda n: "— Câu lệnh tự viết —" if n == sql_view.EXAMPLE_NONE
        else f"{examples[n].title} ({n})",
        key="sql_example", on_change=sql_view._load_example)
    chosen = examples.get(st.session_state.get("sql_example") or sql_view.EXAMPLE_NONE)
    if chosen and chosen.description:
        st.caption(chosen.description)
    sql_text = st.text_area("Câu lệnh SQL", key="sql_text", height=260,
                            help="Một câu lệnh SELECT (cũng nhận FROM …, WITH …, DESCRIBE, "
                                 "SUMMARIZE). Tham số viết dạng $ten_tham_so.")
    values = sql_view.param_inputs(sql_text, f)
    run_clicked = st.button("▶ Chạy", type="primary", key="sql_run")

with right:
    box = sql_view.schema_panel(ui.get_db(), limits)

sql_view.run(box, sql_text, values, run_clicked)
sql_view.show_result(box, limits)
st.divider()
questions_ui.saved_list()
