"""Checking a statement before anything runs: exactly one read statement (DuckDB's own
parser decides), no function or table that reads files or URLs, runs SQL given as text, or
reveals server settings and paths (settings, database list, extensions, secrets …)."""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass

import duckdb

from dashboard.sandbox.limits import READ_ONLY_NOTE, Limits, SandboxError, _locked_config

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
# Catalogue functions and views that reveal settings, paths or the server: refused whether
# called as a function (`duckdb_databases()`) or named as a table (`FROM pragma_database_list`,
# `FROM pg_settings`). Of the duckdb_* catalogue only these describe nothing but the schema:
_ALLOWED_CATALOGUE = {"duckdb_tables", "duckdb_columns", "duckdb_views", "duckdb_functions",
                      "duckdb_types", "duckdb_keywords", "duckdb_constraints", "duckdb_indexes",
                      "duckdb_schemas", "duckdb_sequences", "duckdb_dependencies",
                      "duckdb_optimizers"}
_DENIED_CATALOGUE = {"pg_settings", "pg_database", "pg_tablespace", "pg_file_settings",
                     "pg_hba_file_rules", "pg_stat_activity", "database_list", "getvariable",
                     "current_setting", "current_user_setting", "user_agent",
                     "duckdb_api"}


def _denied(name: str) -> bool:
    n = name.lower().split(".")[-1].strip('"')
    if n in _ALLOWED_PRAGMAS or n in _ALLOWED_CATALOGUE:
        return False
    if n.startswith("duckdb_") or n in _DENIED_CATALOGUE:
        return True
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


def close_parser() -> None:
    global _parser_con
    with _parser_lock:
        if _parser_con is not None:
            try:
                _parser_con.close()
            except duckdb.Error:
                pass
            _parser_con = None


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
    catalogue = sorted({t for t in tables if _denied(t)})
    if catalogue:
        raise SandboxError(
            "Không được đọc " + ", ".join(catalogue) + ": bảng hệ thống này cho biết cấu hình "
            "hoặc đường dẫn của máy chủ. " + READ_ONLY_NOTE, "refused")
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
    from dashboard.access.safe_text import scrub_paths
    from dashboard.i18n.duckdb_errors import translate  # DuckDB's English in Vietnamese

    return translate(scrub_paths(msg))[:600]
