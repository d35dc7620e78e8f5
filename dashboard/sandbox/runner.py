"""Running a checked statement on a locked-down, read-only connection: DuckDB's statement
timeout plus a watchdog, a row limit and a byte limit on the result held in Python, a
concurrency limit; DuckDB errors become Vietnamese messages without server paths."""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from dashboard.sandbox.check import READ_ONLY_NOTE, Checked, _short, check
from dashboard.sandbox.limits import Limits, SandboxError, _locked_config, _semaphore
from dashboard.sandbox.schema_docs import MACRO_DOCS, column_label, column_meaning


@dataclass
class Result:
    df: pd.DataFrame
    truncated: bool               # more rows existed than row_limit
    row_limit: int
    elapsed_s: float
    sql: str
    params: dict = field(default_factory=dict)
    cut: str | None = None        # why the result was cut: "rows" | "bytes" | None
    bytes: int = 0                # size of the result kept (Arrow buffers)


_BATCH_ROWS = 256


def _rows_within(batch, budget: int) -> int:
    """How many leading rows of an Arrow batch fit in `budget` bytes."""
    if batch.num_rows == 0 or budget <= 0:
        return 0
    lo, hi = 0, batch.num_rows
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if batch.slice(0, mid).nbytes <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


class Sandbox:
    """A read-only, locked-down DuckDB connection to one database file."""

    def __init__(self, path: str | os.PathLike, limits: Limits | None = None,
                 *, snapshot_dir: str | None = None):
        self.path = Path(path)
        self.limits = limits or Limits.from_env()
        self._snapshot_dir = snapshot_dir
        self._schema: pd.DataFrame | None = None
        if not self.path.exists():
            raise SandboxError(f"Không tìm thấy cơ sở dữ liệu «{self.path.name}».", "error")
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
            # Streamed as Arrow batches from a relation (a DB-API result would be
            # materialised whole first): the rows AND the bytes kept in Python are bounded,
            # so no statement can make the process swell, e.g. repeat('x', 50000) × 10,000.
            rel = cur.sql(checked.sql, params=bound or None)
            if rel is None:
                raise SandboxError("Câu lệnh không trả về bảng kết quả.", "error")
            reader = rel.to_arrow_reader(_BATCH_ROWS)
            batches, got, size, cut = [], 0, 0, None
            max_bytes = self.limits.max_result_bytes
            for batch in reader:
                if got + batch.num_rows > limit:
                    batch = batch.slice(0, limit - got)
                    cut = "rows"
                if size + batch.nbytes > max_bytes:
                    keep = _rows_within(batch, max_bytes - size)
                    batch = batch.slice(0, keep)
                    cut = "bytes"
                if batch.num_rows:
                    batches.append(batch)
                got += batch.num_rows
                size += batch.nbytes
                if cut:
                    break
                if time.monotonic() - started > self.limits.timeout_s:
                    raise duckdb.InterruptException("INTERRUPT Error: time limit")
            import pyarrow as pa

            table = pa.Table.from_batches(batches, schema=reader.schema)
            df = table.to_pandas()
            return Result(df=df, truncated=cut is not None, row_limit=limit,
                          elapsed_s=time.monotonic() - started, sql=checked.sql, params=bound,
                          cut=cut, bytes=size)
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
        """Every table/view and column the analyst can query, with its meaning (read once:
        a sandbox's file never changes)."""
        if self._schema is None:
            self._schema = self._read_schema()
        return self._schema

    def _read_schema(self) -> pd.DataFrame:
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
