"""Vietnamese for the texts Streamlit and Plotly draw themselves (uploader, input hints, table
toolbar, chart toolbar, select boxes, date picker, navigation), where they offer no setting.

One script, injected once by web/app.py, translates those texts in the page as they appear
(a MutationObserver over text nodes and the attributes aria-label, title, placeholder and
data-title). It only rewrites whole, known framework strings — a user's data drawn in a table
is on a canvas or in markdown and is never touched. The table toolbar's own "Download as CSV"
button is hidden: every table has the app's own CSV/Excel downloads (Vietnamese Excel dialect,
every row) beneath it.

The same script makes a typed date apply on Enter (the date field applies it only on blur).

The translations live here as data (tested without a browser); tests/test_vietnamese_browser.py
collects the visible text of every page in Chromium and fails on English from a word list.
"""
from __future__ import annotations

import json

import streamlit as st

# whole strings (after trimming) → Vietnamese
EXACT: dict[str, str] = {
    # file uploader
    "Drag and drop file here": "Kéo và thả tệp vào đây",
    "Drag and drop files here": "Kéo và thả các tệp vào đây",
    "Drag and drop a file here": "Kéo và thả tệp vào đây",
    "Browse files": "Chọn tệp",
    "Upload": "Chọn tệp",
    "file upload": "tải tệp lên",
    "Remove file": "Bỏ tệp",
    "Delete": "Xóa",
    # text / number inputs
    "Press Enter to apply": "Nhấn Enter để áp dụng",
    "Press Enter to submit form": "Nhấn Enter để gửi",
    "Press ⌘+Enter to apply": "Nhấn ⌘+Enter để áp dụng",
    "Press Ctrl+Enter to apply": "Nhấn Ctrl+Enter để áp dụng",
    "Increment": "Tăng",
    "Decrement": "Giảm",
    "Show password text": "Hiện mật khẩu",
    "Hide password text": "Ẩn mật khẩu",
    # select boxes and multiselects
    "No results": "Không tìm thấy",
    "No options to select": "Không có lựa chọn",
    "Choose an option": "Chọn…",
    "Choose options": "Chọn…",
    "Clear all": "Bỏ chọn tất cả",
    "Clear value": "Xóa lựa chọn",
    "Select all": "Chọn tất cả",
    "Open": "Mở",
    "Close": "Đóng",
    "Dismiss": "Đóng",
    # dataframe toolbar and element toolbar
    "Show/hide columns": "Hiện/ẩn cột",
    "Download as CSV": "Tải CSV",
    "Search": "Tìm trong bảng",
    "Fullscreen": "Toàn màn hình",
    "Close fullscreen": "Thoát toàn màn hình",
    "Add row": "Thêm dòng",
    "Delete row": "Xóa dòng",
    "Delete rows": "Xóa dòng",
    "Sort ascending": "Sắp xếp tăng dần",
    "Sort descending": "Sắp xếp giảm dần",
    "Hide column": "Ẩn cột",
    "Pin column": "Ghim cột",
    "Unpin column": "Bỏ ghim cột",
    "Autosize": "Tự chỉnh độ rộng",
    "Format": "Định dạng",
    "Copy to clipboard": "Sao chép",
    "Link to heading": "Liên kết tới đề mục",
    # plotly modebar
    "Zoom": "Phóng to vùng chọn",
    "Pan": "Kéo",
    "Zoom in": "Phóng to",
    "Zoom out": "Thu nhỏ",
    "Autoscale": "Tự động co giãn",
    "Reset axes": "Đặt lại trục",
    "Reset view": "Đặt lại khung nhìn",
    "Reset": "Đặt lại",
    "Box Select": "Chọn vùng",
    "Lasso Select": "Chọn tự do",
    "Toggle Spike Lines": "Bật/tắt đường gióng",
    "Show closest data on hover": "Hiện dữ liệu gần nhất",
    "Compare data on hover": "So sánh dữ liệu",
    "Download plot as a png": "Tải ảnh PNG",
    "Download plot": "Tải ảnh",
    "Produced with Plotly.js": "Vẽ bằng Plotly.js",
    "Map": "Bản đồ",
    "Toggle attribution": "Hiện/ẩn nguồn bản đồ",
    "Double-click to zoom back out": "Bấm đúp để thu nhỏ lại",
    "Click to enter Colorscale title": "",
    "Click to enter Plot title": "",
    # date picker
    "Choose date": "Chọn ngày",
    "Choose a date": "Chọn ngày",
    "Previous month.": "Tháng trước",
    "Next month.": "Tháng sau",
    "Previous month": "Tháng trước",
    "Next month": "Tháng sau",
    "Previous": "Trước",
    "Next": "Sau",
    "Use arrow keys to navigate dates. Enter to select. Escape to close.":
        "Dùng phím mũi tên để chọn ngày, Enter để chọn, Esc để đóng.",
    "Select year.": "Chọn năm",
    "Select month.": "Chọn tháng",
    "Calendar.": "Lịch",
    # app frame and navigation
    "App pages": "Các trang",
    "Sidebar": "Thanh bên",
    "Collapse sidebar": "Thu gọn thanh bên",
    "Expand sidebar": "Mở thanh bên",
    "Main menu": "Trình đơn",
    "Skip to main content": "Bỏ qua, tới nội dung chính",
    "View more": "Xem thêm",
    "View less": "Thu gọn",
    "Running...": "Đang chạy…",
    "Stop": "Dừng",
    "Rerun": "Chạy lại",
    "Settings": "Cài đặt",
    "Print": "In",
    "About": "Giới thiệu",
    "Clear cache": "Xóa bộ nhớ đệm",
    "Connecting": "Đang kết nối",
    "Please wait...": "Vui lòng chờ…",
    "Page not found": "Không tìm thấy trang",
    "Copy": "Sao chép",
    "Copied": "Đã sao chép",
    "Show less": "Thu gọn",
    "Show more": "Xem thêm",
}
# month and weekday names of the date picker
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
EXACT.update({m: f"Tháng {i}" for i, m in enumerate(MONTHS, start=1)})
EXACT.update(dict(zip(["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"],
                      ["T2", "T3", "T4", "T5", "T6", "T7", "CN"])))

# patterns (JavaScript regular expressions, whole trimmed string) → replacement
PATTERNS: list[tuple[str, str]] = [
    (r"^(\d+(?:\.\d+)?)\s*([KMG]?B) per file$", "Tối đa $1 $2 mỗi tệp"),
    (r"^Press Enter to (apply|submit form)$", "Nhấn Enter để áp dụng"),
    (r"^(January|February|March|April|May|June|July|August|September|October|November|"
     r"December) (\d{4})$", "MONTH $2"),
    (r"^Choose date, (.*)$", "Chọn ngày, $1"),
    (r"^Choose (a )?date range.*$", "Chọn khoảng ngày"),
    (r"^Choose (a )?date\b.*$", "Chọn ngày"),
    (r"^day, (.*)$", "ngày, $1"),
    (r"^month, (.*)$", "tháng, $1"),
    (r"^year, (.*)$", "năm, $1"),
    (r"^(\d+) – (January|February|March|April|May|June|July|August|September|October|"
     r"November|December)$", "$1"),
    (r"^File must be (.+) or smaller\.?$", "Tệp phải nhỏ hơn $1"),
    (r"^(.+) files are not allowed\.?$", "Không nhận tệp $1"),
    (r"^The page that you have requested does not seem to exist\..*$",
     "Trang bạn mở không tồn tại; đang hiện trang chính."),
]

CSS = """
<style>
/* the app's own CSV/Excel downloads sit under every table */
[data-testid="stElementToolbarButton"]:has(button[aria-label="Download as CSV"]),
[data-testid="stElementToolbarButton"]:has(button[aria-label="Tải CSV"]) { display: none; }
</style>
"""

JS = """
<script>
(function () {
  if (window.__dvVietnamese) return;
  window.__dvVietnamese = true;
  var EXACT = %(exact)s, PATTERNS = %(patterns)s, MONTHS = %(months)s;
  var ATTRS = ['aria-label', 'title', 'placeholder', 'data-title'];
  var RES = PATTERNS.map(function (p) { return [new RegExp(p[0]), p[1]]; });
  function tr(text) {
    if (!text) return null;
    var t = text.trim();
    if (!t || t.length > 160) return null;
    if (Object.prototype.hasOwnProperty.call(EXACT, t)) return text.replace(t, EXACT[t]);
    for (var i = 0; i < RES.length; i++) {
      var m = t.match(RES[i][0]);
      if (m) {
        var out = t.replace(RES[i][0], RES[i][1]);
        if (out.indexOf('MONTH ') === 0) out = 'Tháng ' + (MONTHS.indexOf(m[1]) + 1) + ' ' + m[2];
        return text.replace(t, out);
      }
    }
    return null;
  }
  var USER = '[data-testid="stMarkdown"], [data-testid="stText"], [data-testid="stTable"], ' +
             '[data-testid="stCaptionContainer"], [data-testid="stCode"], pre, code, ' +
             'textarea, .ace_editor, [contenteditable="true"]';
  var USER_ATTR = '[data-testid="stMarkdown"], [data-testid="stText"], [data-testid="stCode"]';
  function own(el, attr) {   // never user content: markdown, text, code, the SQL editor
    return !(el.closest && el.closest(attr ? USER_ATTR : USER));
  }
  function fixNode(n) {
    if (n.nodeType === 3) {
      var p = n.parentElement;
      if (p && own(p) && p.tagName !== 'SCRIPT' && p.tagName !== 'STYLE') {
        var v = tr(n.nodeValue);
        if (v !== null && v !== n.nodeValue) n.nodeValue = v;
      }
      return;
    }
    if (n.nodeType !== 1) return;
    fixAttrs(n);
    var w = document.createTreeWalker(n, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    var c;
    while ((c = w.nextNode())) {
      if (c.nodeType === 1) fixAttrs(c); else fixNode(c);
    }
  }
  function fixAttrs(el) {
    if (!own(el, true)) return;
    for (var i = 0; i < ATTRS.length; i++) {
      var a = ATTRS[i], v = el.getAttribute && el.getAttribute(a);
      if (v) { var t = tr(v); if (t !== null && t !== v) el.setAttribute(a, t); }
    }
  }
  new MutationObserver(function (muts) {
    for (var i = 0; i < muts.length; i++) {
      var m = muts[i];
      if (m.type === 'attributes') fixAttrs(m.target);
      else if (m.type === 'characterData') fixNode(m.target);
      else for (var j = 0; j < m.addedNodes.length; j++) fixNode(m.addedNodes[j]);
    }
  }).observe(document.documentElement, {subtree: true, childList: true, characterData: true,
                                        attributes: true, attributeFilter: ATTRS});
  fixNode(document.body);
  // a widget that sets its label again without a mutation we see (the date-range picker)
  // is caught by a light periodic pass over the labelled elements only
  setInterval(function () {
    var els = document.querySelectorAll('[aria-label], [title], [placeholder], [data-title]');
    for (var i = 0; i < els.length; i++) fixAttrs(els[i]);
  }, 800);
  document.documentElement.lang = 'vi';
  // a typed date applies on Enter (Streamlit's date field applies it only when it loses focus)
  document.addEventListener('keydown', function (e) {
    var t = e.target;
    if (e.key === 'Enter' && t && t.closest && t.closest('[data-testid="stDateInputField"]')) {
      var sink = document.getElementById('dv-focus-sink');
      if (!sink) {
        sink = document.createElement('span'); sink.id = 'dv-focus-sink'; sink.tabIndex = -1;
        sink.style.position = 'fixed'; sink.style.left = '-9999px';
        document.body.appendChild(sink);
      }
      e.preventDefault();
      sink.focus();   // moving the focus out of the field applies the typed date
    }
  }, true);
})();
</script>
"""


def script() -> str:
    return JS % {"exact": json.dumps(EXACT, ensure_ascii=False),
                 "patterns": json.dumps(PATTERNS, ensure_ascii=False),
                 "months": json.dumps(MONTHS)}


def inject() -> None:
    """Once per run of the app frame (the script itself runs once per browser tab)."""
    st.html(CSS + script(), unsafe_allow_javascript=True)
