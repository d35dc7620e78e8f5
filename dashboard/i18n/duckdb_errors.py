"""DuckDB's error messages in Vietnamese, for the SQL explorer.

`translate(message)` rewrites the common errors an analyst meets (unknown table, column or
function, syntax error, GROUP BY, types, dates, division, ambiguous names…) line by line from a
table of patterns; names, values and the SQL excerpt with its caret are kept as they are, so the
analyst still sees where the error is. A message no pattern knows is kept in English after a
Vietnamese lead ("Chi tiết từ DuckDB:"), never dropped.
"""
from __future__ import annotations

import re

# DuckDB's "<Kind> Error: " prefixes
KINDS = {
    "Parser Error": "Lỗi cú pháp",
    "Binder Error": "Lỗi tham chiếu",
    "Catalog Error": "Không tìm thấy",
    "Conversion Error": "Lỗi chuyển kiểu",
    "Invalid Input Error": "Dữ liệu vào không hợp lệ",
    "Out of Range Error": "Giá trị vượt giới hạn",
    "Constraint Error": "Vi phạm ràng buộc",
    "Permission Error": "Không được phép",
    "Not implemented Error": "Chưa hỗ trợ",
    "INTERRUPT Error": "Đã dừng",
}
PREFIX = re.compile(r"^(" + "|".join(re.escape(k) for k in KINDS) + r"): ", re.M)

# (pattern over one line, Vietnamese with \1… groups); first match wins
PATTERNS: list[tuple[re.Pattern, str]] = [(re.compile(p), v) for p, v in [
    (r'^Table with name (\S+) does not exist!?$', r"bảng \1 không tồn tại."),
    (r'^(?:Scalar |Aggregate |Table )?Function with name (\S+) does not exist!?$',
     r"hàm \1 không tồn tại."),
    (r'^Referenced column "?([^"]+)"? not found in FROM clause!?$',
     r'không có cột "\1" trong các bảng ở FROM.'),
    (r'^Referenced table "?([^"]+)"? not found!?$', r'không có bảng (bí danh) "\1" trong FROM.'),
    (r'^Did you mean "([^"]+)"\??$', r'Có phải ý bạn là "\1"?'),
    (r'^Candidate bindings: (.*)$', r"Các cột gần giống: \1"),
    (r'^Candidate tables: (.*)$', r"Các bảng có: \1"),
    (r'^Candidate functions:$', "Các dạng hàm có:"),
    (r'^syntax error at or near "(.*)"$', r'lỗi cú pháp ở gần "\1".'),
    (r'^syntax error at end of input$', "câu lệnh kết thúc khi chưa đủ (thiếu phần cuối)."),
    (r'^unterminated quoted string at or near (.*)$', r"chuỗi trong dấu nháy chưa được đóng: \1"),
    (r'^column "([^"]+)" must appear in the GROUP BY clause or must be part of an aggregate '
     r'function\.$',
     r'cột "\1" phải có trong GROUP BY hoặc nằm trong một hàm gộp (count, sum, avg…).'),
    (r'^Either add it to the GROUP BY list, or use ANY_VALUE\((.*)\) if the exact value of (.*) '
     r'is not important\.$',
     r"Hãy thêm cột vào GROUP BY, hoặc dùng ANY_VALUE(\1) nếu giá trị cụ thể không quan trọng."),
    (r'^Could not convert string (.*) to (\S+)$', r"không chuyển được chuỗi \1 sang kiểu \2."),
    (r'^date field value out of range: (.*)$', r"ngày không hợp lệ: \1 (dùng dạng 'YYYY-MM-DD')."),
    (r'^invalid date field format: (.*)$', r"ngày sai định dạng: \1 (dùng dạng 'YYYY-MM-DD')."),
    (r'^Ambiguous reference to column name "([^"]+)" \(use: (.*)\)$',
     r'tên cột "\1" có ở nhiều bảng; hãy ghi rõ bảng: \2.'),
    (r'^Column "([^"]+)" does not exist on (left|right) side of join!?$',
     lambda m: f'cột "{m.group(1)}" không có ở bảng bên '
               f'{"trái" if m.group(2) == "left" else "phải"} của phép nối.'),
    (r'^ORDER term out of range - should be between (\d+) and (\d+)$',
     r"số thứ tự cột trong ORDER BY phải từ \1 đến \2."),
    (r'^GROUP BY term out of range - should be between (\d+) and (\d+)$',
     r"số thứ tự cột trong GROUP BY phải từ \1 đến \2."),
    (r'^LIMIT/OFFSET cannot be negative$', "LIMIT/OFFSET không được âm."),
    (r"^No function matches the given name and argument types '(.*)'\. You might need to add "
     r"explicit type casts\.$",
     r"không có hàm nào nhận các kiểu tham số '\1'; có thể cần đổi kiểu (CAST)."),
    (r'^Overflow in (addition|subtraction|multiplication) of (\S+) \((.*)\)!?$',
     r"tràn số khi tính \3 với kiểu \2; hãy đổi sang BIGINT hoặc DOUBLE."),
    (r'^More than one row returned by a subquery used as an expression.*$',
     "truy vấn con dùng như một giá trị lại trả về nhiều hơn một dòng."),
    (r'^Use "SET scalar_subquery_error_on_multiple_rows=false".*$', ""),
    (r'^Division by zero!?$', "chia cho 0."),
    (r'^Values list "([^"]+)" does not have a column named "([^"]+)"$',
     r'danh sách "\1" không có cột "\2".'),
    (r'^WHERE clause cannot contain aggregates!?$',
     "WHERE không chứa được hàm gộp; hãy dùng HAVING."),
    (r'^aggregate function calls cannot be nested$', "không lồng hàm gộp trong hàm gộp."),
    (r'^Cannot mix values of type (\S+) and (\S+) in (.*)$',
     r"không trộn được giá trị kiểu \1 và \2 trong \3."),
    (r'^Set operations can only apply to expressions with the same number of result columns$',
     "UNION/EXCEPT/INTERSECT cần hai vế có cùng số cột."),
    (r'^LINE (\d+): (.*)$', r"Dòng \1: \2"),
]]
UNKNOWN_LEAD = "Chi tiết từ DuckDB: "


def _line(text: str) -> tuple[str, bool]:
    for pattern, repl in PATTERNS:
        m = pattern.match(text)
        if m:
            return (repl(m) if callable(repl) else m.expand(repl)), True
    return text, False


def translate(message: str) -> str:
    """A DuckDB error message in Vietnamese (see the module docstring)."""
    msg = PREFIX.sub("", str(message).strip())
    out, known = [], False
    for i, raw in enumerate(msg.splitlines()):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            if out and out[-1] != "":
                out.append("")
            continue
        if line.startswith((" ", "\t")) and not stripped.startswith("LINE"):
            text, ok = _line(stripped)           # caret under the SQL, candidate list
            out.append(line[:len(line) - len(line.lstrip())] + text if ok else line)
            continue
        text, ok = _line(stripped)
        known = known or (ok and i == 0)
        if text or not ok:
            out.append(text)
    while out and out[-1] == "":
        out.pop()
    text = "\n".join(out)
    return text if known else UNKNOWN_LEAD + text
