"""Read an uploaded CSV or XLSX into a table of text cells, keeping the row numbers the user sees.

CSV: UTF-8 (with or without BOM), UTF-16, Windows-1258 or Windows-1252; `,` `;` or tab.
XLSX/XLS/ODS via python-calamine (fast, typed cells: dates and numbers arrive as Python
values, so Excel dates, numbers typed as text and codes that lost their zeros are all seen).
The real type of the file is decided from its first bytes, not from its name.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


class ReadError(Exception):
    """A file that cannot be read as a table; the message is Vietnamese and says why."""


class RowNumbers(Sequence):
    """File row numbers as one integer array, read like a list of int (a list of millions of
    Python integers takes ~36 bytes a row; this takes 8)."""

    def __init__(self, values):
        self._values = np.asarray(values, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self._values[i].tolist()
        return int(self._values[i])

    def __iter__(self):
        return map(int, self._values)

    def __array__(self, dtype=None, copy=None):
        return self._values if dtype is None else self._values.astype(dtype)

    def __eq__(self, other) -> bool:
        return len(other) == len(self) and bool(np.array_equal(self._values, np.asarray(other)))

    __hash__ = None

    def __repr__(self) -> str:
        return f"RowNumbers({self._values!r})"


@dataclass
class RawTable:
    frame: pd.DataFrame            # all cells as text ("" when empty), columns as in the file
    row_numbers: Sequence[int]     # for each frame row, its row number in the file (1-based)
    kind: str                      # csv | xlsx
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int = 1
    notes: list[str] = field(default_factory=list)
    # (file row or None, file header or None, Vietnamese message, "error" | "warning")
    issues: list[tuple] = field(default_factory=list)


ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # old .xls


def sniff_kind(data: bytes) -> str:
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    if data.startswith(OLE_MAGIC):
        return "xls"
    if data[:4] in (b"%PDF",) or data[:2] == b"\x1f\x8b":
        return "binary"
    head = data[:4096]
    if b"\x00" in head and not (head.startswith((b"\xff\xfe", b"\xfe\xff"))
                                or head[1:2] == b"\x00" or head[0:1] == b"\x00"):
        return "binary"
    return "csv"


# Letters that exist in Vietnamese but not in Western European text.
_VI_MARKERS = set("ăâđêôơưĂÂĐÊÔƠƯ") | {chr(c) for c in range(0x300, 0x324)}


def decode_text(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if len(data) > 3 and data[1:2] == b"\x00" and data[3:4] == b"\x00":
        return data.decode("utf-16-le"), "utf-16-le"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    as1258 = data.decode("cp1258", errors="replace")
    if any(ch in _VI_MARKERS for ch in as1258):
        return unicodedata.normalize("NFC", as1258), "windows-1258"
    return data.decode("cp1252", errors="replace"), "windows-1252"


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in (",", ";", "\t")}
        return max(counts, key=counts.get)


def _cell_text(value) -> str:
    """Typed spreadsheet cell -> text the validators understand."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value != value:
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, (dt.date,)):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value).strip()


def _rows_to_table(rows: list[list[str]], header_keys: list[set[str]] | None,
                   first_row_number: int = 1) -> tuple[pd.DataFrame, list[int], int]:
    """Find the header row (the one matching most known column names among the first 15) and
    build the table below it."""
    from dashboard.i18n.text import fold

    if not rows:
        raise ReadError("Tệp không có dữ liệu (tệp rỗng).")
    header_idx = 0
    if header_keys:
        best = -1
        for i, row in enumerate(rows[:15]):
            score = sum(any(fold(cell) in keys for keys in header_keys) for cell in row if cell)
            if score > best:
                best, header_idx = score, i
    header = [str(c).strip() for c in rows[header_idx]]
    width = len(header)
    # merged header cells leave blanks: name them so they can be reported
    header = [h if h else f"(cột {i + 1} không có tên)" for i, h in enumerate(header)]
    body, numbers = [], []
    for j, row in enumerate(rows[header_idx + 1:]):
        cells = [str(c).strip() for c in row[:width]] + [""] * max(0, width - len(row))
        extra = [str(c).strip() for c in row[width:] if str(c).strip()]
        if extra:
            cells[-1] = cells[-1]  # values beyond the header are ignored (reported by caller)
        if not any(cells):
            continue
        body.append(cells)
        numbers.append(first_row_number + header_idx + 1 + j)
    frame = pd.DataFrame(body, columns=range(width), dtype=object) if body else \
        pd.DataFrame(columns=range(width), dtype=object)
    frame.columns = header
    return frame, numbers, first_row_number + header_idx


def read_csv_bytes(data: bytes, header_keys=None) -> RawTable:
    fast = _read_csv_fast(data, header_keys)
    if fast is not None:
        return fast
    text, encoding = decode_text(data)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ReadError("Tệp không có dữ liệu (tệp rỗng).")
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, line_numbers = [], []
    line = 1
    for row in reader:
        rows.append(row)
        line_numbers.append(line)
        line = reader.line_num + 1
    frame, numbers, header_row = _rows_to_table(rows, header_keys)
    # map list positions back to physical lines (quoted newlines span several lines)
    numbers = [line_numbers[n - 1] for n in numbers]
    return RawTable(frame, numbers, "csv", encoding=encoding, delimiter=delimiter,
                    header_row=line_numbers[header_row - 1])


# Every character str.strip() removes, as UTF-8 (\n and \r are line ends, handled apart):
# single bytes, and the lead bytes of the longer ones.
_SPACE_BYTES = np.zeros(256, dtype=bool)
_SPACE_BYTES[[0x20, 0x09, 0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x1F]] = True
_SPACE_LEADS = _SPACE_BYTES.copy()
_SPACE_LEADS[[0xC2, 0xE1, 0xE2, 0xE3]] = True
_E2_80_SPACE = np.zeros(256, dtype=bool)   # \xe2\x80\x80-\x8a, \xa8, \xa9, \xaf
_E2_80_SPACE[[*range(0x80, 0x8B), 0xA8, 0xA9, 0xAF]] = True


def _edge_space(body: bytes, delimiter: str) -> bool:
    """Whether any cell may start or end with white space: white space next to a delimiter,
    a quote, a line end or the file's ends (else stripping every cell changes nothing); or a
    lone \r. Over whole byte arrays: the places a white space character may begin, then the
    bytes on either side of each one found."""
    arr = np.frombuffer(body, dtype=np.uint8)
    n = len(arr)
    if not n:
        return False
    cr = np.flatnonzero(arr == 0x0D)
    if len(cr) and (cr[-1] == n - 1 or (arr[cr + 1] != 0x0A).any()):
        return True
    p = np.flatnonzero(_SPACE_LEADS[arr])
    if not len(p):
        return False

    def at(k):
        return np.where(p + k < n, arr[np.minimum(p + k, n - 1)], 0)

    b0, b1, b2 = arr[p], at(1), at(2)
    size = np.where(_SPACE_BYTES[b0], 1, 0)
    size = np.where((b0 == 0xC2) & ((b1 == 0x85) | (b1 == 0xA0)), 2, size)
    three = (((b0 == 0xE1) & (b1 == 0x9A) & (b2 == 0x80))
             | ((b0 == 0xE2) & (((b1 == 0x80) & _E2_80_SPACE[b2]) | ((b1 == 0x81) & (b2 == 0x9F))))
             | ((b0 == 0xE3) & (b1 == 0x80) & (b2 == 0x80)))
    size = np.where(three, 3, size)
    starts = p[size > 0]
    if not len(starts):
        return False
    ends = starts + size[size > 0] - 1
    edge = np.zeros(256, dtype=bool)
    edge[[ord(delimiter), ord('"'), 0x0D, 0x0A]] = True
    if starts[0] == 0 or (ends == n - 1).any():
        return True
    return bool(edge[arr[starts[starts > 0] - 1]].any() or edge[arr[ends[ends < n - 1] + 1]].any())


def _read_csv_fast(data: bytes, header_keys=None) -> RawTable | None:
    """The same table as the row-by-row reader, parsed over whole columns by pandas' C
    parser, for UTF-8 files in which every physical line is one record (no quoted line
    breaks, no line longer than the widest of the first lines). None: use the row reader."""
    if data.startswith(b"\xef\xbb\xbf"):
        body, encoding = data[3:], "utf-8-sig"
    else:
        body, encoding = data, "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\r" in body[:65536] and \
            b"\n" not in body[:65536]:
        return None
    try:
        head = body[:65536].decode("utf-8", errors="strict") if len(body) <= 65536 else \
            body[:65536].decode("utf-8", errors="ignore")
    except UnicodeDecodeError:
        return None
    if not head.strip() or len(body) < 65536:
        return None     # small files: the row reader is fast enough and handles every case
    head_lines = head.splitlines()[:20]
    delimiter = _sniff_delimiter("\n".join(head_lines))
    head_rows = list(csv.reader(io.StringIO("\n".join(head_lines[:15]), newline=""),
                                delimiter=delimiter))
    if len(head_rows) != len(head_lines[:15]):
        return None
    try:
        frame = pd.read_csv(io.BytesIO(body), sep=delimiter, header=None, dtype=object,
                            na_filter=False, skip_blank_lines=False, engine="c",
                            encoding="utf-8", quotechar='"', doublequote=True,
                            names=range(max(len(r) for r in head_rows) if head_rows else 1))
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError):
        return None
    lines = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
    if len(frame) != lines:
        return None     # a quoted line break: row numbers need the row reader
    rows15 = [[str(c).strip() for c in r] for r in head_rows]
    header_idx = 0
    if header_keys:
        from dashboard.i18n.text import fold

        best = -1
        for i, row in enumerate(rows15):
            score = sum(any(fold(cell) in keys for keys in header_keys) for cell in row if cell)
            if score > best:
                best, header_idx = score, i
    if header_idx >= len(frame):
        return None
    header = [str(c).strip() for c in head_rows[header_idx]]
    width = len(header)
    header = [h if h else f"(cột {i + 1} không có tên)" for i, h in enumerate(header)]
    out = frame.iloc[header_idx + 1:, :width]
    for j in range(out.shape[1], width):
        out[j] = ""
    strip = _edge_space(body, delimiter)
    # a short line leaves its last cells missing: when the last column has none, no column has
    short = bool(len(out)) and bool(out.iloc[:, min(width, frame.shape[1]) - 1].hasnans)
    cols = {}
    for j in range(width):
        col = out.iloc[:, j]
        if short and col.hasnans:
            col = col.fillna("")
        cols[j] = col.str.strip() if strip and len(col) else col
    out = pd.DataFrame(cols, index=out.index)
    if len(out):   # blank rows dropped: the first cell decides nearly every row alone
        keep = np.array(out.iloc[:, 0] != "", dtype=bool)
        rest = np.flatnonzero(~keep)
        if len(rest) and width > 1:
            keep[rest] = (out.iloc[rest, 1:] != "").any(axis=1).to_numpy()
        if not keep.all():
            out = out[keep]
    numbers = RowNumbers(out.index.to_numpy() + 1)
    out = out.reset_index(drop=True)
    out.columns = header
    return RawTable(out, numbers, "csv", encoding=encoding, delimiter=delimiter,
                    header_row=header_idx + 1)


INSTRUCTION_SHEETS = {"huongdan", "instructions", "readme", "danhmuc", "lists"}


def read_xlsx_bytes(data: bytes, header_keys=None, dataset_name: str | None = None) -> RawTable:
    from python_calamine import CalamineWorkbook

    from dashboard.i18n.text import fold

    if not _zip_is_xlsx(data):
        raise ReadError("Tệp là một tệp nén (ZIP) nhưng không phải bảng tính Excel (.xlsx): "
                        "hãy mở bằng Excel và lưu lại dưới dạng «Sổ làm việc Excel (.xlsx)», "
                        "hoặc xuất ra CSV.")
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types
        raise ReadError("Không mở được tệp Excel: tệp bị hỏng hoặc tải lên chưa hết. Hãy mở "
                        "tệp bằng Excel, lưu lại rồi tải lên lần nữa.") from exc
    names = list(wb.sheet_names)
    if not names:
        raise ReadError("Tệp Excel không có trang tính nào.")
    chosen = None
    if dataset_name:
        chosen = next((n for n in names if fold(n) == fold(dataset_name)), None)
    if chosen is None:
        chosen = next((n for n in names if fold(n) not in INSTRUCTION_SHEETS), names[0])
    try:
        sheet = wb.get_sheet_by_name(chosen)
        rows = sheet.to_python(skip_empty_area=False)
        merged = list(getattr(sheet, "merged_cell_ranges", None) or [])
    except Exception as exc:
        raise ReadError(f"Không đọc được trang tính «{chosen}» (tệp bị hỏng?).") from exc
    text_rows = [[_cell_text(v) for v in row] for row in rows]
    while text_rows and not any(text_rows[-1]):
        text_rows.pop()
    if not text_rows:
        raise ReadError(f"Trang tính «{chosen}» không có dữ liệu.")
    frame, numbers, header_row = _rows_to_table(text_rows, header_keys)
    raw = RawTable(frame, numbers, "xlsx", sheet=chosen, header_row=header_row)
    raw.issues.extend(_merge_issues(merged, raw, text_rows))
    if len(names) > 1:
        raw.notes.append(f"Đọc trang tính «{chosen}» (tệp có {len(names)} trang tính).")
    return raw


def _zip_is_xlsx(data: bytes) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except zipfile.BadZipFile:
        return True   # let the spreadsheet reader say it is damaged
    return "[Content_Types].xml" in names and any(
        n.startswith(("xl/", "content.xml")) for n in names)


def _col_letter(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _merge_issues(merged, raw: RawTable, text_rows) -> list[tuple]:
    """Merged cells explained: in the header row they hide column names; below it, only the
    first row of the merged area has the value."""
    issues = []
    headers = list(raw.frame.columns)
    hdr = raw.header_row - 1   # 0-based
    body_ranges = 0
    for (r0, c0), (r1, c1) in merged:
        if r0 <= hdr <= r1 and c1 > c0:
            name = headers[c0] if c0 < len(headers) else _col_letter(c0)
            hidden = list(range(c0 + 1, min(c1, len(headers) - 1) + 1))
            has_data = any(raw.frame.iloc[:, j].astype(str).str.strip().ne("").any()
                           for j in hidden) if len(raw.frame) else False
            span = f"{_col_letter(c0)}{r0 + 1}:{_col_letter(c1)}{r1 + 1}"
            issues.append((raw.header_row, name,
                           f"ô tiêu đề «{name}» bị gộp ({span}): chỉ cột {_col_letter(c0)} "
                           f"được đọc là «{name}», "
                           + (f"cột {_col_letter(c1)}" if c1 == c0 + 1 else
                              f"các cột {_col_letter(c0 + 1)}–{_col_letter(c1)}")
                           + " không có tên"
                           + (" nhưng có dữ liệu — dữ liệu đó sẽ bị bỏ qua" if has_data else "")
                           + ". Hãy bỏ gộp ô (Merge & Center → Unmerge) và đặt một tên cho "
                           "mỗi cột.", "error" if has_data else "warning"))
        elif r0 > hdr and r1 > r0:
            body_ranges += 1
            if body_ranges <= 50:
                col = headers[c0] if c0 < len(headers) else None
                issues.append((r0 + 1, col,
                               f"ô gộp {_col_letter(c0)}{r0 + 1}:{_col_letter(c1)}{r1 + 1}: chỉ "
                               f"dòng {r0 + 1} có giá trị, các dòng {r0 + 2}–{r1 + 1} bị coi là "
                               "để trống. Hãy bỏ gộp ô và điền giá trị cho từng dòng.",
                               "warning"))
    return issues


def read_table(data: bytes, file_name: str = "", header_keys=None,
               dataset_name: str | None = None) -> RawTable:
    if not data:
        raise ReadError("Tệp rỗng (0 byte).")
    kind = sniff_kind(data)
    if kind == "xlsx":
        return read_xlsx_bytes(data, header_keys, dataset_name)
    if kind == "xls":
        raise ReadError("Tệp Excel 97-2003 (.xls) chưa được hỗ trợ: hãy lưu lại dưới dạng .xlsx "
                        "(Tệp → Lưu thành → Sổ làm việc Excel).")
    if kind == "binary":
        raise ReadError(f"Tệp «{file_name}» không phải CSV hay Excel (nội dung là dữ liệu nhị "
                        "phân).")
    return read_csv_bytes(data, header_keys)
