"""The Vietnamese texts for Streamlit's and Plotly's own widgets (dashboard/web/vi_chrome.py):
the patterns do what the browser script does with them, and the app frame injects it."""
import re

import pytest
from conftest import run_page

from dashboard.web import vi_chrome


def translate(text: str) -> str:
    t = text.strip()
    if t in vi_chrome.EXACT:
        return vi_chrome.EXACT[t]
    for pattern, repl in vi_chrome.PATTERNS:
        m = re.match(pattern, t)
        if m:
            out = re.sub(pattern, re.sub(r"\$(\d)", r"\\\1", repl), t)
            if out.startswith("MONTH "):
                out = f"Tháng {vi_chrome.MONTHS.index(m.group(1)) + 1} {m.group(2)}"
            return out
    return text


@pytest.mark.parametrize("english,vietnamese", [
    ("200MB per file", "Tối đa 200 MB mỗi tệp"),
    ("1GB per file", "Tối đa 1 GB mỗi tệp"),
    ("Press Enter to apply", "Nhấn Enter để áp dụng"),
    ("No results", "Không tìm thấy"),
    ("Show/hide columns", "Hiện/ẩn cột"),
    ("Zoom in", "Phóng to"),
    ("December 2026", "Tháng 12 2026"),
    ("day, Số liệu tính đến ngày", "ngày, Số liệu tính đến ngày"),
    ("Choose date, tháng 12 năm 2026", "Chọn ngày, tháng 12 năm 2026"),
])
def test_known_framework_texts_are_translated(english, vietnamese):
    assert translate(english) == vietnamese


def test_other_texts_are_left_alone():
    for text in ("Phường Đa Mai", "Camera ANTT", "Searching for models", "Zoom in on 5"):
        assert translate(text) == text


def test_the_frame_injects_the_script_once_per_run(demo_copy, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    at = run_page("../pages/overview.py")
    scripts = [h.value for h in at.html if "__dvVietnamese" in h.value]
    assert len(scripts) == 1
    assert '"No results": "Không tìm thấy"' in scripts[0]
