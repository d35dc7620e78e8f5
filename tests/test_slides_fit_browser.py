"""Trình chiếu on a projector, in a real browser: every slide of the demo deck fits 1280×720
and 1366×768 without scrolling, the navigation bar stays on screen (the map slide included),
a new slide opens at its top, and numbers in words are only in the speaker notes."""
import pytest
from conftest import page_errors, wait_for_app

pytestmark = pytest.mark.browser

SIZES = [(1280, 720), (1366, 768)]
FITS = """() => {
  const vh = window.innerHeight, out = {doc: document.documentElement.scrollHeight, vh: vh,
                                        scrolled: []};
  for (const e of document.querySelectorAll('*')) {
    const oy = getComputedStyle(e).overflowY;
    if ((oy === 'auto' || oy === 'scroll') && e.scrollHeight > e.clientHeight + 1
        && e.clientHeight > 0 && !e.closest('[data-testid="stPopoverBody"]'))
      out.scrolled.push([e.getAttribute('data-testid') || e.tagName, e.scrollHeight,
                         e.clientHeight]);
  }
  const bar = [...document.querySelectorAll('.st-key-present_next button')]
    .find(b => b.offsetParent !== null);
  const r = bar.getBoundingClientRect();
  out.next = [r.top, r.bottom];
  return out;
}"""


def counter(page) -> str:
    return page.inner_text("[data-testid='dv-counter']").strip()


def next_slide(page, expected: int) -> None:
    page.locator(".st-key-present_next button:visible").first.click()
    page.wait_for_function(
        "n => (document.querySelector('[data-testid=dv-counter]') || {}).innerText"
        " && document.querySelector('[data-testid=dv-counter]').innerText.trim()"
        ".startsWith(n + ' /')", arg=expected, timeout=60_000)
    wait_for_app(page)


@pytest.mark.parametrize("width,height", SIZES)
def test_every_slide_fits_the_screen(app_server, browser, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
    page = context.new_page()
    try:
        page.goto(f"{app_server}/trinh-chieu?slide=1&as_of=2025-06-30")
        wait_for_app(page)
        total = int(counter(page).split("/")[1])
        assert total >= 6
        kinds = []
        for i in range(1, total + 1):
            if i > 1:
                next_slide(page, i)
            m = page.evaluate(FITS)
            assert m["doc"] <= m["vh"], f"slide {i}: document {m['doc']} > {m['vh']}"
            assert m["scrolled"] == [], f"slide {i} scrolls: {m['scrolled']}"
            top, bottom = m["next"]
            assert 0 <= top and bottom <= height, f"slide {i}: navigation at {top}–{bottom}"
            body = page.inner_text("[data-testid='stMain']")
            assert "mươi" not in body and " phẩy " not in body, f"slide {i} spells numbers"
            if page.locator(".maplibregl-canvas, .mapboxgl-canvas").count():
                kinds.append("map")
            assert page_errors(page) == []
        assert "map" in kinds                       # the map slide was among them
    finally:
        context.close()


def test_next_slide_opens_at_its_top_and_notes_hold_the_words(app_server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="vi-VN")
    page = context.new_page()
    try:
        # with the app's sidebar (?full=0) the page is taller than the screen: scroll down
        page.goto(f"{app_server}/trinh-chieu?slide=2&full=0&as_of=2025-06-30")
        wait_for_app(page)
        page.evaluate("() => { document.querySelector('[data-testid=stMain]').scrollTop = 400; }")
        assert page.evaluate(
            "() => document.querySelector('[data-testid=stMain]').scrollTop") > 0
        next_slide(page, 3)
        page.wait_for_function(
            "() => document.querySelector('[data-testid=stMain]').scrollTop === 0",
            timeout=10_000)
        # presentation mode: the notes panel opens from the bar and starts with the words
        page.goto(f"{app_server}/trinh-chieu?slide=2&as_of=2025-06-30")
        wait_for_app(page)
        assert "Đọc to:" not in page.inner_text("body")
        page.get_by_role("button", name="Ghi chú").click()
        notes = page.locator("[data-testid='stPopoverBody']")
        notes.wait_for(timeout=10_000)
        text = notes.inner_text()
        assert text.startswith("Đọc to: ") and "phần trăm số hộ gia đình" in text
    finally:
        context.close()
