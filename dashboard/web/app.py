"""Streamlit entry: page config, shared sidebar filters, navigation over the pages that exist.

Run with `streamlit run dashboard/app.py`. The entry lives inside dashboard/ and the page
scripts in the top-level pages/ folder: a pages/ folder next to the entry would switch
Streamlit into its legacy multipage mode on deep links.
"""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from dashboard.web import auth, evaluation_data, navigation, ui, vi_chrome

ICON = str(Path(__file__).resolve().parent / "static" / "icon.png")   # local: works offline


def build_pages(principal=None) -> list:
    icons = {file: icon for file, _, icon, _ in navigation.PAGES}
    shown = [(f, t, u) for f, t, u in navigation.built()
             if principal is None or navigation.allowed(f, principal)]
    # The home page is served at "/", which frees its own address: a hidden copy answers
    # /tong-quan (a page's url_path doubles as its id, hence the home page's inner id).
    pages = [st.Page(f"../pages/{file}", title=title, icon=icons[file],
                     url_path=f"{url}-home" if i == 0 else url, default=(i == 0))
             for i, (file, title, url) in enumerate(shown)]
    if shown:
        file, title, url = shown[0]
        pages.append(st.Page(f"../pages/{file}", title=title, icon=icons[file], url_path=url,
                             visibility="hidden"))
    return pages


def main() -> None:
    st.set_page_config(page_title="Dân vận — Bảng điều khiển", page_icon=ICON, layout="wide",
                       initial_sidebar_state="expanded")
    ui.start_run()
    try:
        principal = auth.gate()   # users configured and nobody logged in: login page only
        if principal is None:
            # every address shows the login page (a deep link opens its page after login)
            login = [st.Page(auth.login_page, title="Đăng nhập", url_path=url,
                             default=(i == 0))
                     for i, url in enumerate(["dang-nhap",
                                              *(u for _, _, u in navigation.built())])]
            st.navigation(login, position="hidden").run()
            return
        page = st.navigation(build_pages(principal), position="sidebar")
        st.session_state["_page_url"] = page.url_path     # comments are tied to the page
        with st.sidebar:
            vi_chrome.inject()      # Streamlit's and Plotly's own texts in Vietnamese
            st.caption("Ban Dân vận · " + ui.esc(ui.province_name() or "chưa có dữ liệu"))
        auth.sidebar(principal)
        ui.sidebar_filters()
        try:
            page.run()
        finally:        # after a write: the evaluation's date-free rows, read in the background
            evaluation_data.prepare_in_background(ui.get_db())
    except Exception as exc:  # users never see a traceback
        if os.environ.get("DASHBOARD_DEBUG") == "1":   # tests and development: fail loudly
            raise
        ui.report_error(exc)


main()
