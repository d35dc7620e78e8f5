"""Nothing in English where a user looks, in a real browser: the visible text of every page
(document.body.innerText) and the labels and tooltips of its buttons (aria-label, title,
placeholder, Plotly's data-title) are collected — also after focusing a text box, typing a
name the commune filter does not know and opening the date picker — and checked against a
list of English words Streamlit, Plotly and raw contract codes would show."""
import re

import pytest
from conftest import page_errors, wait_for_app

from dashboard.web import navigation, vi_chrome

pytestmark = pytest.mark.browser

ENGLISH = ["Drag and drop", "Browse files", "Upload", "per file", "XLS,", "Press Enter",
           "Show/hide", "Download as CSV", "Search", "Fullscreen", "Pan", "Zoom", "Autoscale",
           "Reset axes", "Reset view", "No results", "Choose an option", "Choose options",
           "Clear all", "Choose date", "Collapse sidebar", "Page not found", "Running",
           "Skip to main content", "Increment", "Decrement", "Toggle", "Link to heading",
           "App pages", "Sidebar", "Dismiss", "Close", "Open", "None", "NaN", "null",
           "village", "commune", "province", "district", "pilot", "rollout", "economy",
           "culture_society", "defense_security", "political_system", "feedback_received",
           "feedback_resolved", "antt_incidents", "day", "month", "year", "Previous", "Next",
           *vi_chrome.MONTHS, "Monday", "Sunday"]
WORDS = re.compile(r"(?<![\w/.-])(" + "|".join(re.escape(w) for w in ENGLISH) + r")(?![\w-])")
ICON = "[data-testid='stIconMaterial'], .material-symbols-rounded, [translate='no']"

COLLECT = """() => {
  const code = el => el.closest('pre, code, [data-testid="stCode"], [data-testid="stExpanderDetails"] pre');
  const out = [document.body.innerText];
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], [data-title]')) {
    if (code(el)) continue;
    for (const a of ['aria-label', 'title', 'placeholder', 'data-title']) {
      const v = el.getAttribute(a); if (v) out.push(v);
    }
  }
  return out;
}"""


def english_on(page) -> list[str]:
    page.evaluate("sel => document.querySelectorAll(sel).forEach(e => e.remove())", ICON)
    found = set()
    for text in page.evaluate(COLLECT):
        for line in text.splitlines():
            if line.startswith(("SELECT", "Xem SQL — ", "Truy vấn có tên", "Dòng lệnh")):
                continue          # SQL, named query and command names are identifiers
            found.update(m.group(1) for m in WORDS.finditer(line))
    return sorted(found)


@pytest.mark.parametrize("file,title,url", navigation.built())
def test_no_english_on_any_page(app_server, browser, file, title, url):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = context.new_page()
    try:
        page.goto(f"{app_server}/{url}" + ("?full=0" if url == "trinh-chieu" else ""))
        wait_for_app(page)
        assert english_on(page) == [], f"{url}: {english_on(page)}"
        # hints that appear on interaction
        box = page.locator("[data-testid='stMain'] [data-testid='stTextInput'] input")
        if box.count():
            box.first.click()
            box.first.type("ab")
            page.wait_for_timeout(300)
            found = english_on(page)
            assert found == [], f"{url} text box: {found}"
            body = page.inner_text("body")      # a text box in a form says "gửi" (submit)
            assert "Nhấn Enter để áp dụng" in body or "Nhấn Enter để gửi" in body
            box.first.fill("")
            page.keyboard.press("Escape")
        assert page_errors(page) == []
    finally:
        context.close()


def test_filter_and_date_picker_speak_vietnamese(app_server, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = context.new_page()
    try:
        page.goto(app_server)
        wait_for_app(page)
        communes = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect'] input")
        communes.last.click()
        communes.last.type("zzzz")
        page.wait_for_timeout(400)
        body = page.inner_text("body")
        assert "Không tìm thấy" in body and "No results" not in body
        page.keyboard.press("Escape")
        page.locator("[data-testid='stSidebar'] [data-testid='stDateInputCalendarButton']").click()
        page.locator("[role='dialog'] [role='grid']").wait_for(timeout=10_000)
        page.wait_for_timeout(300)
        assert english_on(page) == []
        assert "Tháng " in page.inner_text("[role='dialog']")
    finally:
        context.close()


def test_file_uploader_offers_only_what_is_read(app_server, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = context.new_page()
    try:
        page.goto(f"{app_server}/du-lieu")
        wait_for_app(page)
        zone = page.locator("[data-testid='stFileUploaderDropzone']").first
        text = zone.inner_text()
        assert "Chọn tệp" in text and "Tối đa 200 MB mỗi tệp" in text
        assert "XLSX" in text and not re.search(r"\bXLS\b", text)
    finally:
        context.close()


def test_typed_date_applies_on_enter(app_server, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = context.new_page()
    try:
        page.goto(app_server)
        wait_for_app(page)
        page.locator("[data-testid='stSidebar'] [data-type='day']").click()
        page.keyboard.type("30062024")
        page.wait_for_timeout(300)
        assert "as_of=" not in page.url            # typing alone applies nothing yet
        page.keyboard.press("Enter")
        page.wait_for_function("() => location.search.includes('as_of=2024-06-30')",
                               timeout=30_000)
        wait_for_app(page)
        assert "30/06/2024" in page.inner_text("[data-testid='stMain']")
    finally:
        context.close()
