"""SQL explorer limits: time, rows, bytes, memory, threads and concurrency (all settings in
dashboard/config.py), the errors the explorer raises, and the locked DuckDB configuration
every explorer connection is opened with."""
from __future__ import annotations

import threading
from dataclasses import dataclass

from dashboard import config
from dashboard.store.database import DISABLED_OPTIMIZERS

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
    max_result_mb: float = config.setting("sql_max_result_mb").default

    @property
    def max_result_bytes(self) -> int:
        return int(float(self.max_result_mb) * 1024 * 1024)

    @classmethod
    def from_env(cls) -> Limits:
        """The limits in force (config settings, overridden by their environment variables)."""
        return cls(timeout_s=config.get("sql_timeout_s"),
                   memory_limit=config.get("sql_memory_limit"),
                   max_concurrent=config.get("sql_max_concurrent"),
                   max_result_mb=config.get("sql_max_result_mb"))


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
        "disabled_optimizers": DISABLED_OPTIMIZERS,   # wrong figures otherwise (store/database.py)
        "lock_configuration": True,
    }


_SEMAPHORES: dict[int, threading.BoundedSemaphore] = {}
_SEM_LOCK = threading.Lock()


def _semaphore(n: int) -> threading.BoundedSemaphore:
    with _SEM_LOCK:
        sem = _SEMAPHORES.get(n)
        if sem is None:
            sem = _SEMAPHORES[n] = threading.BoundedSemaphore(max(1, n))
        return sem
