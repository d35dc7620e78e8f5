"""The SQL sandbox: analysts' read-only queries over the data, with hard limits.

Used by the "Phân tích SQL" page and by `python -m dashboard sql`, so both follow exactly the
same rules (in the manner of Datasette and Superset's SQL Lab):

1. **Only one read statement.** DuckDB's own parser decides (`duckdb.extract_statements`):
   exactly one statement of type SELECT (this includes `FROM t`, `WITH …`, `VALUES`,
   `DESCRIBE`, `SHOW`, `SUMMARIZE`, `UNPIVOT`). Anything else — INSERT, UPDATE, DELETE,
   CREATE, DROP, ALTER, COPY, EXPORT, ATTACH, DETACH, INSTALL, LOAD, SET, RESET, PRAGMA, CALL,
   CHECKPOINT, VACUUM, transactions, PIVOT statements … — is refused before it runs.
2. **No file, network, extension or nested-SQL functions.** The statement's syntax tree
   (`json_serialize_sql`) is walked and functions that read files or URLs (`read_csv`,
   `read_parquet`, `read_text`, `glob`, …) or run SQL given as text (`query`,
   `json_execute_serialized_sql`) are refused with a clear message.
3. **A separate, locked-down connection** does the work, so even a statement that slipped past
   1–2 could not harm anything: opened `read_only`, `enable_external_access=false` (no files,
   no URLs), extension autoload/autoinstall off, no temporary directory (no spilling to disk),
   `memory_limit` and `threads` bounded, `max_execution_time` (statement timeout) set, and
   `lock_configuration=true` so no statement can change any of it.
4. **Time, rows, memory and concurrency are bounded**: a statement timeout (default 5 s,
   `DASHBOARD_SQL_TIMEOUT`) enforced by DuckDB plus a watchdog that interrupts the cursor;
   at most 10,000 rows fetched for display (the 10,001st only tells that the result was cut);
   the full result for download re-runs under the same limits with a cap of 1,000,000 rows;
   memory limit (default 512MB, `DASHBOARD_SQL_MEMORY`); at most 2 sandbox statements at once
   per process (`DASHBOARD_SQL_CONCURRENCY`). DuckDB releases the GIL while it works, so a slow
   statement never blocks the other sessions of the app.

Which database file the sandbox reads (DuckDB opens a file in one mode per process):
- When this process does not hold the database (the CLI), the file itself is opened read-only
  with the locked configuration.
- When this process already holds it read-write (the app), a second connection with another
  configuration is refused by DuckDB. The sandbox then reads a *snapshot*: the app's
  connection copies the database (`ATTACH` + `COPY FROM DATABASE`, one consistent
  transaction, tables, views and macros included) into a private temporary file, which is
  then opened read-only with the locked configuration. The snapshot is rebuilt when the data
  changes (a fingerprint of batches and table sizes, checked before each statement).
"""
from __future__ import annotations

import argparse
import atexit
import datetime as dt
import itertools
import json
import math
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from dashboard import config

# ---------------------------------------------------------------------------------------------
# Limits


@dataclass(frozen=True)
class Limits:
    timeout_s: float = config.setting("sql_timeout_s").default
    max_rows: int = config.setting("sql_max_rows").default
    download_rows: int = config.setting("sql_download_rows").default
    memory_limit: str = config.setting("sql_memory_limit").default
    threads: int = config.setting("sql_threads").default
    max_concurrent: int = config.setting("sql_max_concurrent").default

    @classmethod
    def from_env(cls) -> Limits:
        """The limits in force (config settings, overridden by their environment variables)."""
        return cls(timeout_s=config.get("sql_timeout_s"), memory_limit=config.get("sql_memory_limit"),
                   max_concurrent=config.get("sql_max_concurrent"))


# ---------------------------------------------------------------------------------------------
# Errors: every message is Vietnamese and meant for the analyst.


class SandboxError(Exception):
    """A statement was refused or stopped. `kind`: refused | timeout | memory | busy | error."""

    def __init__(self, message: str, kind: str = "error", detail: str = ""):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.detail = detail

    def __str__(self) -> str:
        return self.message


READ_ONLY_NOTE = ("Phân tích SQL chỉ đọc dữ liệu: không ghi, sửa, xóa, tạo hay đổi cấu trúc "
                  "bảng, không đổi cấu hình, không truy cập tệp, mạng hay tiện ích mở rộng.")

_TYPE_LABELS = {
    "INSERT": "thêm dữ liệu (INSERT)", "UPDATE": "sửa dữ liệu (UPDATE)",
    "DELETE": "xóa dữ liệu (DELETE/TRUNCATE)", "CREATE": "tạo đối tượng (CREATE)",
    "DROP": "xóa đối tượng (DROP)", "ALTER": "đổi cấu trúc (ALTER)",
    "COPY": "sao chép ra/vào tệp (COPY)", "EXPORT": "xuất cơ sở dữ liệu (EXPORT)",
    "ATTACH": "gắn cơ sở dữ liệu khác (ATTACH)", "DETACH": "gỡ cơ sở dữ liệu (DETACH)",
    "LOAD": "cài đặt/nạp tiện ích mở rộng (INSTALL/LOAD)", "SET": "đổi cấu hình (SET/RESET/USE)",
    "PRAGMA": "lệnh PRAGMA", "CALL": "gọi thủ tục (CALL/CHECKPOINT)",
    "TRANSACTION": "giao dịch (BEGIN/COMMIT/ROLLBACK)", "VACUUM": "VACUUM/ANALYZE",
    "MULTI": "lệnh nhiều bước (ví dụ PIVOT dạng lệnh)", "EXPLAIN": "EXPLAIN",
    "MERGE_INTO": "gộp dữ liệu (MERGE)", "PREPARE": "PREPARE", "EXECUTE": "EXECUTE",
    "UPDATE_EXTENSIONS": "cập nhật tiện ích mở rộng", "COPY_DATABASE": "sao chép cơ sở dữ liệu",
    "LOGICAL_PLAN": "kế hoạch logic", "RELATION": "quan hệ", "EXTENSION": "lệnh tiện ích",
    "VARIABLE_SET": "đặt biến (SET VARIABLE)",
}

# Functions that read files or URLs, or run SQL given as text. The locked connection refuses
# the file and URL ones anyway (enable_external_access=false); naming them here gives the
# analyst a clear message instead of a permission error.
_DENIED_EXACT = {
    "glob", "sniff_csv", "query", "query_table", "json_execute_serialized_sql",
    "parquet_metadata", "parquet_schema", "parquet_file_metadata", "parquet_kv_metadata",
    "parquet_bloom_probe", "checkpoint", "force_checkpoint", "duckdb_secrets",
    "duckdb_extensions", "load_extension", "install_extension", "getenv", "system",
    "current_setting", "duckdb_settings", "set_variable", "which_secret",
    "enable_logging", "disable_logging", "truncate_duckdb_logs", "duckdb_logs",
}
_DENIED_PATTERN = re.compile(
    r"^(read_\w+|\w+_scan|\w+_attach|iceberg_\w+|delta_\w+|sqlite_\w+|postgres_\w+|mysql_\w+|"
    r"http\w*|s3\w*|azure_\w+|gcs_\w+|hf_\w+|st_read\w*|excel_\w+|pragma_\w*)$", re.I)
# Harmless pragma table functions that analysts may use.
_ALLOWED_PRAGMAS = {"pragma_table_info", "pragma_show", "pragma_storage_info"}


def _denied(name: str) -> bool:
    n = name.lower().split(".")[-1]
    if n in _ALLOWED_PRAGMAS:
        return False
    return n in _DENIED_EXACT or bool(_DENIED_PATTERN.match(n))


# ---------------------------------------------------------------------------------------------
# Checking a statement (parser only; nothing runs)


@dataclass(frozen=True)
class Checked:
    sql: str                      # the statement, without a trailing semicolon
    params: tuple[str, ...]       # named parameters ($name), in order of first use
    functions: tuple[str, ...]    # every function the statement calls


_PARAM = re.compile(r"\$([A-Za-z_]\w*)")
_parser_con: duckdb.DuckDBPyConnection | None = None
_parser_lock = threading.Lock()


def _parser() -> duckdb.DuckDBPyConnection:
    """An in-memory connection, locked down, used only for json_serialize_sql."""
    global _parser_con
    with _parser_lock:
        if _parser_con is None:
            _parser_con = duckdb.connect(":memory:", config={
                **_locked_config(Limits()), "memory_limit": "64MB"})
        return _parser_con


def _function_names(node, out: list[str]) -> None:
    if isinstance(node, dict):
        name = node.get("function_name")
        if isinstance(name, str) and name:
            out.append(name)
        for v in node.values():
            _function_names(v, out)
    elif isinstance(node, list):
        for v in node:
            _function_names(v, out)


_PATHLIKE = re.compile(r"[/\\:~]|\.[A-Za-z0-9]{1,8}$")


def _table_names(node, out: list[str]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "BASE_TABLE" and isinstance(node.get("table_name"), str):
            out.append(node["table_name"])
        for v in node.values():
            _table_names(v, out)
    elif isinstance(node, list):
        for v in node:
            _table_names(v, out)


def check(sql: str) -> Checked:
    """Refuse anything but one read statement without file/URL/nested-SQL functions."""
    if sql is None or not str(sql).strip():
        raise SandboxError("Chưa có câu lệnh SQL nào để chạy.", "refused")
    sql = str(sql)
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as e:
        raise SandboxError("Câu lệnh SQL không hợp lệ: " + _short(e), "refused", str(e)) from None
    if not statements:
        raise SandboxError("Chưa có câu lệnh SQL nào để chạy.", "refused")
    if len(statements) > 1:
        raise SandboxError(
            f"Mỗi lần chỉ được chạy một câu lệnh; chuỗi này có {len(statements)} câu lệnh "
            "(ngăn cách bằng dấu chấm phẩy).", "refused")
    st = statements[0]
    kind = str(st.type).split(".")[-1]
    if kind != "SELECT":
        label = _TYPE_LABELS.get(kind, kind)
        raise SandboxError(f"Câu lệnh loại {label} bị từ chối. " + READ_ONLY_NOTE, "refused")
    text = st.query.strip().rstrip(";").strip() or sql.strip().rstrip(";")
    cur = _parser().cursor()
    try:
        tree = json.loads(cur.execute("SELECT json_serialize_sql(?)", [text]).fetchone()[0])
    except duckdb.Error as e:
        raise SandboxError("Câu lệnh SQL không hợp lệ: " + _short(e), "refused", str(e)) from None
    finally:
        cur.close()
    if tree.get("error"):
        # SELECT statements always serialise; anything else is not for the sandbox.
        raise SandboxError("Không kiểm tra được câu lệnh này nên không chạy: "
                           + str(tree.get("error_message", "")), "refused")
    functions: list[str] = []
    _function_names(tree.get("statements", []), functions)
    bad = sorted({f for f in functions if _denied(f)})
    if bad:
        raise SandboxError(
            "Không được dùng hàm " + ", ".join(bad) + ": phân tích SQL không đọc tệp, "
            "địa chỉ mạng, cấu hình hay chạy câu lệnh SQL lồng trong chuỗi.", "refused")
    tables: list[str] = []
    _table_names(tree.get("statements", []), tables)
    paths = sorted({t for t in tables if _PATHLIKE.search(t)})
    if paths:
        raise SandboxError(
            "Không được đọc tệp hay địa chỉ mạng (" + ", ".join(paths) + "): phân tích SQL "
            "chỉ đọc các bảng trong cơ sở dữ liệu.", "refused")
    named = set(st.named_parameters)
    order = [p for p in dict.fromkeys(_PARAM.findall(_strip_comments_and_strings(text)))
             if p in named]
    order += sorted(named - set(order))
    return Checked(text, tuple(order), tuple(dict.fromkeys(functions)))


def _strip_comments_and_strings(sql: str) -> str:
    sql = re.sub(r"'(?:[^']|'')*'", "''", sql)
    sql = re.sub(r"--[^\n]*", "", sql)
    return re.sub(r"/\*.*?\*/", "", sql, flags=re.S)


def param_names(sql: str) -> tuple[str, ...]:
    """Named parameters of a statement ($name), in order of first use; () if it is refused."""
    try:
        return check(sql).params
    except SandboxError:
        return ()


def _short(e: Exception) -> str:
    msg = str(e).strip()
    for prefix in ("Parser Error: ", "Binder Error: ", "Catalog Error: ",
                   "Conversion Error: ", "Invalid Input Error: "):
        msg = msg.replace(prefix, "")
    from dashboard.i18n.duckdb_errors import translate  # DuckDB's English in Vietnamese
    return translate(msg)[:600]


# ---------------------------------------------------------------------------------------------
# The locked-down connection


def _locked_config(limits: Limits) -> dict:
    return {
        "enable_external_access": False,
        "autoload_known_extensions": False,
        "autoinstall_known_extensions": False,
        "allow_community_extensions": False,
        "memory_limit": limits.memory_limit,
        "threads": max(1, int(limits.threads)),
        "temp_directory": "",
        "max_execution_time": int(limits.timeout_s * 1000),
        "lock_configuration": True,
    }


@dataclass
class Result:
    df: pd.DataFrame
    truncated: bool               # more rows existed than row_limit
    row_limit: int
    elapsed_s: float
    sql: str
    params: dict = field(default_factory=dict)


_SEMAPHORES: dict[int, threading.BoundedSemaphore] = {}
_SEM_LOCK = threading.Lock()


def _semaphore(n: int) -> threading.BoundedSemaphore:
    with _SEM_LOCK:
        sem = _SEMAPHORES.get(n)
        if sem is None:
            sem = _SEMAPHORES[n] = threading.BoundedSemaphore(max(1, n))
        return sem


class Sandbox:
    """A read-only, locked-down DuckDB connection to one database file."""

    def __init__(self, path: str | os.PathLike, limits: Limits | None = None,
                 *, snapshot_dir: str | None = None):
        self.path = Path(path)
        self.limits = limits or Limits.from_env()
        self._snapshot_dir = snapshot_dir
        if not self.path.exists():
            raise SandboxError(f"Không tìm thấy cơ sở dữ liệu: {self.path}", "error")
        try:
            self.con = duckdb.connect(str(self.path), read_only=True,
                                      config=_locked_config(self.limits))
        except duckdb.Error as e:
            msg = str(e)
            if "lock" in msg.lower():
                raise SandboxError(
                    "Cơ sở dữ liệu đang được một chương trình khác mở để ghi (ví dụ ứng dụng "
                    "đang chạy), nên không mở được để đọc. Hãy dùng trang Phân tích SQL trong "
                    "ứng dụng, hoặc chạy lại khi ứng dụng đã dừng.", "error", msg) from None
            raise SandboxError("Không mở được cơ sở dữ liệu: " + _short(e), "error", msg) from None

    # -- running -----------------------------------------------------------------------------
    def run(self, sql: str, params: dict | None = None, max_rows: int | None = None) -> Result:
        """Check and run one read statement; fetch at most max_rows (default: limits.max_rows)."""
        checked = check(sql)
        limit = self.limits.max_rows if max_rows is None else int(max_rows)
        limit = max(0, min(limit, self.limits.download_rows))
        bound = bind_params(checked, params)
        sem = _semaphore(self.limits.max_concurrent)
        if not sem.acquire(timeout=max(1.0, self.limits.timeout_s)):
            raise SandboxError("Đang có nhiều truy vấn phân tích chạy cùng lúc; hãy thử lại "
                               "sau ít giây.", "busy")
        started = time.monotonic()
        cur = None
        timer = None
        try:
            cur = self.con.cursor()
            # Backstop for DuckDB's own statement timeout (e.g. time spent fetching).
            timer = threading.Timer(self.limits.timeout_s + 1.0, _interrupt, [cur])
            timer.daemon = True
            timer.start()
            if bound:
                cur.execute(checked.sql, bound)
            else:
                cur.execute(checked.sql)
            chunks: list[pd.DataFrame] = []
            got = 0
            truncated = False
            while True:
                chunk = cur.fetch_df_chunk(1)
                if chunk is None or len(chunk) == 0:
                    if not chunks:
                        chunks.append(chunk if chunk is not None else pd.DataFrame())
                    break
                chunks.append(chunk)
                got += len(chunk)
                if got > limit:
                    truncated = True
                    break
                if time.monotonic() - started > self.limits.timeout_s:
                    raise duckdb.InterruptException("INTERRUPT Error: time limit")
            df = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
            if truncated:
                df = df.iloc[:limit].reset_index(drop=True)
            return Result(df=df, truncated=truncated, row_limit=limit,
                          elapsed_s=time.monotonic() - started, sql=checked.sql, params=bound)
        except duckdb.Error as e:
            raise self._translate(e) from None
        finally:
            if timer is not None:
                timer.cancel()
            if cur is not None:
                try:
                    cur.close()
                except duckdb.Error:
                    pass
            sem.release()

    def run_full(self, sql: str, params: dict | None = None) -> Result:
        """The same statement for download: same limits, up to limits.download_rows rows."""
        return self.run(sql, params, max_rows=self.limits.download_rows)

    def _translate(self, e: duckdb.Error) -> SandboxError:
        msg = str(e)
        low = msg.lower()
        if isinstance(e, duckdb.InterruptException) or "interrupt" in low:
            return SandboxError(
                f"Truy vấn chạy quá {_seconds(self.limits.timeout_s)} giây nên đã bị dừng. "
                "Hãy thu hẹp điều kiện lọc, bớt phép nối hoặc thêm LIMIT.", "timeout", msg)
        if isinstance(e, duckdb.OutOfMemoryException) or "out of memory" in low:
            return SandboxError(
                f"Truy vấn cần quá nhiều bộ nhớ (giới hạn {self.limits.memory_limit}) nên đã "
                "bị dừng. Hãy chọn ít cột hơn, lọc bớt dòng hoặc gộp nhóm trước.", "memory", msg)
        if isinstance(e, duckdb.PermissionException) or "disabled by configuration" in low \
                or "configuration has been locked" in low:
            return SandboxError("Không được phép: " + READ_ONLY_NOTE, "refused", msg)
        if "read-only" in low or "read only" in low:
            return SandboxError("Không được ghi dữ liệu: " + READ_ONLY_NOTE, "refused", msg)
        if isinstance(e, duckdb.CatalogException):
            return SandboxError("Không tìm thấy bảng, cột hoặc hàm: " + _short(e), "error", msg)
        if isinstance(e, duckdb.BinderException):
            return SandboxError("Lỗi tham chiếu trong câu lệnh: " + _short(e), "error", msg)
        if isinstance(e, duckdb.ParserException):
            return SandboxError("Câu lệnh SQL không hợp lệ: " + _short(e), "refused", msg)
        if isinstance(e, (duckdb.ConversionException, duckdb.InvalidInputException)):
            return SandboxError("Giá trị không chuyển đổi được: " + _short(e), "error", msg)
        return SandboxError("Truy vấn bị lỗi: " + _short(e), "error", msg)

    # -- schema ------------------------------------------------------------------------------
    def schema(self) -> pd.DataFrame:
        """Every table/view and column the analyst can query, with its meaning."""
        cur = self.con.cursor()
        try:
            cols = cur.execute(
                "SELECT table_name, column_name, data_type, column_index "
                "FROM duckdb_columns() WHERE NOT internal AND schema_name = 'main' "
                "AND database_name = current_database() "
                "ORDER BY table_name, column_index").df()
            macros = cur.execute(
                "SELECT DISTINCT function_name, parameters FROM duckdb_functions() "
                "WHERE function_type = 'table_macro' AND NOT internal "
                "AND database_name = current_database() ORDER BY function_name").df()
        finally:
            cur.close()
        rows = []
        for _, r in cols.iterrows():
            rows.append({"table": r["table_name"], "column": r["column_name"],
                         "type": r["data_type"],
                         "label": column_label(r["table_name"], r["column_name"]),
                         "meaning": column_meaning(r["table_name"], r["column_name"])})
        for _, m in macros.iterrows():
            params = ", ".join(list(m["parameters"]) if m["parameters"] is not None else [])
            rows.append({"table": f"{m['function_name']}({params})", "column": "",
                         "type": "TABLE MACRO", "label": "",
                         "meaning": MACRO_DOCS.get(m["function_name"], "")})
        return pd.DataFrame(rows, columns=["table", "column", "type", "label", "meaning"])

    def close(self) -> None:
        try:
            self.con.close()
        except duckdb.Error:
            pass
        if self._snapshot_dir:
            shutil.rmtree(self._snapshot_dir, ignore_errors=True)


def _interrupt(cur) -> None:
    try:
        cur.interrupt()
    except Exception:  # noqa: BLE001 - the cursor may already be closed
        pass


def _seconds(s: float) -> str:
    return f"{s:g}".replace(".", ",")


# ---------------------------------------------------------------------------------------------
# Parameters


def coerce_value(name: str, value):
    """Parameter text from a form, URL or command line -> a DuckDB value."""
    from dashboard.store import queries

    if value is None:
        return None
    if isinstance(value, str):
        v = value.strip()
        if v == "" or v.upper() == "NULL":
            return None
        if name == "communes" or name.endswith("_codes") or name.endswith("_list"):
            return [c.strip() for c in v.split(",") if c.strip()] or None
        if name in ("as_of", "start", "end") or name.endswith("_on"):
            try:
                return dt.date.fromisoformat(v[:10])
            except ValueError:
                d = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", v)
                if d:
                    return dt.date(int(d.group(3)), int(d.group(2)), int(d.group(1)))
                raise SandboxError(f"Tham số ${name}: '{value}' không phải là ngày "
                                   "(yyyy-mm-dd hoặc dd/mm/yyyy).", "error") from None
        return v
    return queries.coerce_param(name, value)


def bind_params(checked: Checked, params: dict | None) -> dict:
    """Values for the statement's $parameters; as_of defaults to today, communes to NULL."""
    from dashboard.store import queries

    params = dict(params or {})
    out = {}
    missing = []
    defaults = queries.defaults()
    for name in checked.params:
        if name in params:
            out[name] = coerce_value(name, params[name])
        elif name in defaults:
            out[name] = defaults[name]
        else:
            missing.append("$" + name)
    if missing:
        raise SandboxError("Thiếu giá trị cho tham số: " + ", ".join(missing) + ".", "error")
    return out


# ---------------------------------------------------------------------------------------------
# Meaning of tables and columns (schema browser)

TABLE_DOCS = {
    "batches": "Các lần nhập dữ liệu (mỗi lần tải tệp lên là một lô).",
    "batch_changes": "Từng dòng mà một lô đã thêm hoặc sửa (để hoàn tác).",
    "boundaries": "Ranh giới hành chính đã nhập (hình học EPSG:4326).",
    "app_meta": "Thiết lập của ứng dụng (khóa – giá trị).",
    "ref_provinces": "Danh mục chính thức 34 tỉnh, thành phố (từ 01/7/2025).",
    "ref_communes": "Danh mục chính thức xã, phường, đặc khu (từ 01/7/2025).",
    "ref_legacy_communes": "Danh mục xã trước 01/7/2025 (63 tỉnh, có cấp huyện).",
    "ref_crosswalk": "Bảng chuyển đổi mã xã cũ → mã xã mới.",
}

_EXTRA_COLUMNS = {
    "batches": {
        "batch_id": "Mã lô nhập", "created_at": "Thời điểm nhập", "dataset": "Bộ dữ liệu",
        "file_name": "Tên tệp", "sha256": "Mã băm SHA-256 của tệp",
        "rows_new": "Số dòng mới", "rows_updated": "Số dòng cập nhật",
        "rows_unchanged": "Số dòng không đổi", "rows_rejected": "Số dòng bị loại",
        "status": "Trạng thái (committed: đã ghi; rolled_back: đã hoàn tác)",
        "mode": "Chế độ nhập", "created_by": "Người nhập", "note": "Ghi chú",
        "archive_path": "Tệp lưu trữ"},
    "batch_changes": {
        "batch_id": "Mã lô nhập", "dataset": "Bộ dữ liệu", "row_key": "Khóa dòng (JSON)",
        "before_json": "Giá trị trước (JSON; trống nếu lô thêm mới)",
        "after_json": "Giá trị sau (JSON)"},
    "boundaries": {
        "unit_code": "Mã đơn vị", "geometry_wkb": "Hình học đầy đủ (WKB, EPSG:4326)",
        "display_geojson": "Hình học đã đơn giản hóa để vẽ (GeoJSON)",
        "approximate": "Ranh giới gần đúng", "source": "Nguồn", "batch_id": "Lô nhập"},
    "app_meta": {"key": "Khóa", "value": "Giá trị"},
    "ref_provinces": {"province_code": "Mã tỉnh (2 chữ số)", "province_name": "Tên tỉnh"},
    "ref_communes": {
        "commune_code": "Mã xã (5 chữ số)", "commune_name": "Tên xã, phường, đặc khu",
        "commune_type": "Loại (xã, phường, đặc khu)", "province_code": "Mã tỉnh",
        "province_name": "Tên tỉnh", "latitude": "Vĩ độ tâm", "longitude": "Kinh độ tâm",
        "area_km2": "Diện tích (km²)"},
}

MACRO_DOCS = {
    "active_cells": "Các tổ đang hoạt động tại ngày d (thành lập ≤ d, chưa giải thể hoặc "
                    "giải thể sau d).",
    "cells_with_commune": "Mỗi tổ kèm mã xã của nó (xã của thôn, hoặc chính xã).",
    "village_coverage": "Theo thôn tại ngày d: số hộ, số tổ, thành viên, hộ được phụ trách "
                        "(chưa giới hạn và đã giới hạn bằng số hộ).",
    "commune_coverage": "Theo xã tại ngày d: số thôn, số hộ, số tổ, thành viên, hộ được phụ "
                        "trách (định nghĩa ở DESIGN.md mục 4).",
    "commune_phase": "Giai đoạn của xã tại ngày d (pilot / rollout / none) và ngày bắt đầu.",
}


def column_label(table: str, column: str) -> str:
    from dashboard.contract import DATASETS

    ds = DATASETS.get(table)
    if ds is not None:
        try:
            return ds.column(column).label
        except KeyError:
            return ""
    return _EXTRA_COLUMNS.get(table, {}).get(column, "")


def column_meaning(table: str, column: str) -> str:
    from dashboard.contract import DATASETS

    ds = DATASETS.get(table)
    if ds is not None:
        try:
            return ds.column(column).rules()
        except KeyError:
            return ""
    return ""


TABLE_LABELS = {
    "batches": "Lô nhập", "batch_changes": "Thay đổi theo lô", "boundaries": "Ranh giới",
    "app_meta": "Thiết lập", "ref_provinces": "Danh mục tỉnh 2025",
    "ref_communes": "Danh mục xã 2025", "ref_legacy_communes": "Danh mục xã trước 2025",
    "ref_crosswalk": "Chuyển đổi mã xã cũ → mới",
}


def table_label(table: str) -> str:
    from dashboard.contract import DATASETS

    ds = DATASETS.get(table)
    return ds.label if ds is not None else TABLE_LABELS.get(table, "")


def table_doc(table: str) -> str:
    from dashboard.contract import DATASETS

    ds = DATASETS.get(table)
    if ds is not None:
        return f"{ds.label}. {ds.description} Khóa: {', '.join(ds.key)}."
    return TABLE_DOCS.get(table, "")


# ---------------------------------------------------------------------------------------------
# Getting a sandbox for the app's database (snapshot) or for a file (CLI)

_CACHE: dict[str, tuple[str, Sandbox]] = {}
_CACHE_LOCK = threading.Lock()
_SNAP_COUNTER = itertools.count(1)
_SNAP_ROOT: str | None = None


def _snap_root() -> str:
    global _SNAP_ROOT
    if _SNAP_ROOT is None:
        _SNAP_ROOT = tempfile.mkdtemp(prefix="danvan-sql-")
        atexit.register(shutil.rmtree, _SNAP_ROOT, True)
    return _SNAP_ROOT


def fingerprint(db) -> str:
    """Changes when the data of a store.Database changes (batches, table sizes, schema)."""
    cur = db.cursor()
    try:
        row = cur.execute(
            "SELECT (SELECT coalesce(max(batch_id), 0) FROM batches), "
            "(SELECT count(*) FROM batches WHERE status <> 'committed'), "
            "(SELECT coalesce(sum(estimated_size), 0) FROM duckdb_tables() "
            " WHERE database_name = current_database()), "
            "(SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database()), "
            "(SELECT count(*) FROM duckdb_functions() WHERE function_type = 'table_macro' "
            " AND NOT internal), "
            "(SELECT string_agg(key || '=' || coalesce(value, ''), ';' ORDER BY key) "
            " FROM app_meta)").fetchone()
    finally:
        cur.close()
    return json.dumps([str(v) for v in row])


def _make_snapshot(db, limits: Limits) -> Sandbox:
    """Copy the database in one transaction into a private file, open it locked-down."""
    directory = tempfile.mkdtemp(prefix="snap-", dir=_snap_root())
    target = Path(directory) / "snapshot.duckdb"
    alias = f"sandbox_snapshot_{os.getpid()}_{next(_SNAP_COUNTER)}"
    cur = db.cursor()
    try:
        source = cur.execute("SELECT current_database()").fetchone()[0]
        cur.execute(f"ATTACH '{_sql_str(str(target))}' AS {alias}")
        try:
            cur.execute(f'COPY FROM DATABASE "{source}" TO {alias}')
        finally:
            cur.execute(f"DETACH {alias}")
    finally:
        cur.close()
    return Sandbox(target, limits, snapshot_dir=directory)


def _sql_str(s: str) -> str:
    return s.replace("'", "''")


def for_database(db, limits: Limits | None = None) -> Sandbox:
    """The sandbox over a store.Database held by this process (snapshot, kept up to date)."""
    limits = limits or Limits.from_env()
    if getattr(db, "read_only", False):
        return for_path(db.path, limits)
    key = str(Path(db.path).resolve()) + "|" + repr(limits)
    fp = fingerprint(db)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached and cached[0] == fp:
            return cached[1]
        sandbox = _make_snapshot(db, limits)
        _CACHE[key] = (fp, sandbox)
    if cached:
        # Statements still running keep their own cursor; the old file goes with the folder.
        cached[1].close()
    return sandbox


def for_path(path: str | os.PathLike | None = None, limits: Limits | None = None) -> Sandbox:
    """The sandbox over a database file: the file itself read-only, or a snapshot when this
    process already holds it read-write."""
    from dashboard.store import database as store

    limits = limits or Limits.from_env()
    p = Path(path) if path else store.default_db_path()
    held = store._OPEN.get((str(p), False))
    if held is not None:
        return for_database(held, limits)
    key = "file|" + str(p.resolve()) + "|" + repr(limits)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached:
            return cached[1]
        sandbox = Sandbox(p, limits)
        _CACHE[key] = ("", sandbox)
        return sandbox


def close_all() -> None:
    """Close every sandbox connection of this process (and the parser's)."""
    global _parser_con
    with _CACHE_LOCK:
        items = list(_CACHE.values())
        _CACHE.clear()
    for _, sb in items:
        sb.close()
    with _parser_lock:
        if _parser_con is not None:
            try:
                _parser_con.close()
            except duckdb.Error:
                pass
            _parser_con = None


atexit.register(close_all)


# ---------------------------------------------------------------------------------------------
# Links into the explorer (contract with dashboard/ui.py's "Xem SQL")

EXPLORER_PAGE = "../pages/sql.py"


def explorer_query_params(name: str | None = None, params: dict | None = None,
                          sql: str | None = None) -> dict[str, str]:
    """st.query_params for the explorer: q=<named query> or sql=<text>, plus p_<param>=value.

    Lists are comma-separated, dates ISO, None is left out (the parameter's default applies).
    """
    out: dict[str, str] = {}
    if name:
        out["q"] = name
    elif sql:
        out["sql"] = sql
    for k, v in (params or {}).items():
        if v is None:
            continue
        if isinstance(v, (list, tuple, set)):
            v = ",".join(str(x) for x in v)
        elif isinstance(v, (dt.date, dt.datetime, pd.Timestamp)):
            v = v.isoformat()[:10]
        out["p_" + k] = str(v)
    return out


def parse_explorer_query_params(qp) -> tuple[str | None, str | None, dict[str, str]]:
    """(named query or None, sql text or None, {param: text}) from st.query_params."""
    get = qp.get if hasattr(qp, "get") else dict(qp).get
    keys = list(qp.keys()) if hasattr(qp, "keys") else []
    name = get("q") or None
    sql = get("sql") or None
    params = {k[2:]: get(k) for k in keys if k.startswith("p_") and len(k) > 2}
    return name, sql, params


def link_signature(qp) -> str:
    """A key telling whether the explorer's URL parameters changed since they were applied."""
    name, sql, params = parse_explorer_query_params(qp)
    return json.dumps([name, sql, sorted(params.items())], ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# Example queries and their parameters (explorer page)


@dataclass(frozen=True)
class Example:
    name: str
    title: str
    sql: str
    params: tuple[str, ...]
    param_doc: str
    description: str


def examples() -> list[Example]:
    """The named queries of queries/, as examples for the explorer (sorted by name)."""
    from dashboard.store import queries

    out = []
    for name in queries.names():
        q = queries.get(name)
        out.append(Example(q.name, q.title, q.sql.strip() + "\n", q.params, q.param_doc,
                           q.description))
    return out


PARAM_LABELS = {
    "as_of": "Tính đến ngày", "start": "Từ ngày", "end": "Đến ngày",
    "communes": "Xã, phường (để trống = tất cả)", "commune": "Xã, phường",
    "level": "Cấp", "indicator": "Chỉ số", "field": "Lĩnh vực", "model_id": "Mã mô hình",
    "unit_code": "Mã đơn vị",
}


def param_kind(name: str) -> str:
    """How the explorer asks for a parameter: date | communes | commune | level | indicator |
    field | text."""
    if name in ("as_of", "start", "end") or name.endswith("_on"):
        return "date"
    if name in ("communes", "commune", "level", "indicator", "field"):
        return name
    return "text"


def param_label(name: str) -> str:
    return PARAM_LABELS.get(name, name)


# ---------------------------------------------------------------------------------------------
# Machine-readable output (CLI)


def _json_value(v):
    if v is None:
        return None
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat() if v == v.normalize() else v.isoformat()
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat()
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, dict):
        return {str(k): _json_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_value(x) for x in v]
    if hasattr(v, "tolist"):
        return _json_value(v.tolist())
    if hasattr(v, "item"):
        return v.item()
    return v


def to_records(df: pd.DataFrame) -> list[dict]:
    cols = [str(c) for c in df.columns]
    return [dict(zip(cols, (_json_value(v) for v in row)))
            for row in df.itertuples(index=False, name=None)]


def to_plain_csv(df: pd.DataFrame) -> str:
    """CSV for scripts: no BOM, '.' decimal point, ISO dates."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([str(c) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        vals = []
        for v in row:
            v = _json_value(v)
            if v is None:
                vals.append("")
            elif isinstance(v, bool):
                vals.append("true" if v else "false")
            elif isinstance(v, (list, dict)):
                vals.append(json.dumps(v, ensure_ascii=False))
            else:
                vals.append(v)
        w.writerow(vals)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Command line: python -m dashboard sql "SELECT …" [--db PATH] [--format csv|json]


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("statement", help="một câu lệnh SELECT (dùng '-' để đọc từ stdin)")
    p.add_argument("--db", default=None, help="tệp cơ sở dữ liệu (mặc định $DASHBOARD_DB "
                                              "hoặc data/dashboard.duckdb)")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="giá trị cho tham số $KEY (lặp lại được)")
    p.add_argument("--timeout", type=float, default=None,
                   help="giới hạn thời gian mỗi câu lệnh, giây (mặc định 5)")
    p.add_argument("--max-rows", type=int, default=None,
                   help="số dòng tối đa in ra (mặc định 1.000.000)")
    return p


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m dashboard sql",
        description="Chạy một câu lệnh SQL chỉ đọc theo đúng quy tắc của trang Phân tích SQL.")
    return add_arguments(p)


def cli_main(args) -> int:
    """`sql` subcommand. args: an argparse.Namespace from add_arguments, or argv strings.

    Prints the result (CSV or JSON) on stdout and returns 0; on refusal or failure prints the
    Vietnamese message on stderr and returns 1.
    """
    if args is None or isinstance(args, (list, tuple)):
        args = build_parser().parse_args(list(args or []))
    statement = args.statement
    param_items = getattr(args, "param", None) or []
    timeout = getattr(args, "timeout", None)
    max_rows_arg = getattr(args, "max_rows", None)
    if statement == "-":
        statement = sys.stdin.read()
    params: dict[str, str] = {}
    for item in param_items:
        if "=" not in item:
            print(f"Tham số phải có dạng KEY=VALUE: {item}", file=sys.stderr)
            return 2
        k, v = item.split("=", 1)
        params[k.strip().lstrip("$")] = v
    base = Limits.from_env()
    limits = Limits(timeout_s=timeout if timeout else base.timeout_s,
                    max_rows=base.max_rows, download_rows=base.download_rows,
                    memory_limit=base.memory_limit, threads=base.threads,
                    max_concurrent=base.max_concurrent)
    max_rows = limits.download_rows if max_rows_arg is None else max_rows_arg
    try:
        check(statement)          # refuse before touching the database at all
        sb = for_path(args.db, limits)
        result = sb.run(statement, params, max_rows=max_rows)
    except SandboxError as e:
        print(e.message, file=sys.stderr)
        return 1
    out = sys.stdout
    if args.format == "json":
        out.write(json.dumps(to_records(result.df), ensure_ascii=False, indent=None) + "\n")
    else:
        out.write(to_plain_csv(result.df))
    out.flush()
    if result.truncated:
        print(f"Kết quả đã bị cắt ở {result.row_limit} dòng.", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(cli_main(sys.argv[1:]))
