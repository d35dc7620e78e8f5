"""Dữ liệu: upload (check → confirm → commit), import history with rollback, templates.
Layout only: the tabs are drawn by dashboard/web/data_upload.py and data_history.py."""
import streamlit as st

from dashboard.web import data_history, data_upload, setup_section, ui

state = st.session_state
state.setdefault("data_upload_key", 0)

st.title("Dữ liệu")
ui.demo_banner()
if "data_flash" in state:
    st.success(state.pop("data_flash"), icon=":material/check_circle:")

# -- province: leave the demo, start with one's own province (dashboard/web/setup_section.py)
setup_section.render(ui.get_db(), state)

# bound to the URL (?muc=…). The upload tab is always drawn (a file being checked stays while
# the user looks at the history); the history and the templates only when open
tab_upload, tab_history, tab_templates = st.tabs(["Tải lên", "Lịch sử nhập", "Mẫu tệp"],
                                                 key="muc", bind="query-params")
with tab_upload:
    data_upload.render()
with tab_history:
    if tab_history.open is not False:
        data_history.render_history()
with tab_templates:
    if tab_templates.open is not False:
        data_history.render_templates()
