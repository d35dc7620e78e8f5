"""Streamlit entry: page config, shared sidebar filters, navigation over the pages that exist.

Run with `streamlit run dashboard/app.py`. The entry lives inside dashboard/ and the page
scripts in the top-level pages/ folder: a pages/ folder next to the entry would switch
Streamlit into its legacy multipage mode on deep links.
"""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from dashboard import ui

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"

# (file, title, icon, url path) — a page is listed only when its script exists.
PAGES = [
    ("overview.py", "Tổng quan", ":material/dashboard:", "tong-quan"),
    ("map.py", "Bản đồ", ":material/map:", "ban-do"),
    ("coverage.py", "Độ phủ hộ gia đình", ":material/holiday_village:", "do-phu"),
    ("evaluation.py", "Thí điểm và nhân rộng", ":material/trending_up:", "thi-diem"),
    ("models.py", 'Mô hình "Dân vận khéo"', ":material/workspace_premium:", "mo-hinh"),
    ("commune.py", "Hồ sơ xã", ":material/folder_open:", "ho-so-xa"),
    ("sql.py", "Phân tích SQL", ":material/search:", "sql"),
    ("present.py", "Trình chiếu", ":material/slideshow:", "trinh-chieu"),
    ("data.py", "Dữ liệu", ":material/upload_file:", "du-lieu"),
]


def build_pages() -> list:
    pages = []
    for i, (file, title, icon, url) in enumerate(PAGES):
        if (PAGES_DIR / file).exists():
            pages.append(st.Page(f"../pages/{file}", title=title, icon=icon, url_path=url,
                                 default=(i == 0)))
    return pages


def main() -> None:
    st.set_page_config(page_title="Dân vận — Bảng điều khiển", page_icon=str(Path(__file__).resolve().parent / "static" / "icon.png"), layout="wide",
                       initial_sidebar_state="expanded")
    page = st.navigation(build_pages(), position="sidebar")
    try:
        with st.sidebar:
            st.caption("Ban Dân vận · " + (ui.province_name() or "chưa có dữ liệu"))
        ui.sidebar_filters()
        page.run()
    except Exception as exc:  # users never see a traceback
        if os.environ.get("DASHBOARD_DEBUG") == "1":   # tests and development: fail loudly
            raise
        ui.report_error(exc)


main()
