"""The import report: every problem as (row as the user sees it, column, value, message),
the counts and the summary the page and the CLI print."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from dashboard.ingest import readers


@dataclass
class Problem:
    row: int | None
    column: str | None
    value: str
    message: str
    suggestion: str = ""
    severity: str = "error"  # error | warning

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value,
                "message": self.message, "suggestion": self.suggestion,
                "severity": self.severity}


@dataclass
class ImportReport:
    dataset: str
    file_name: str
    sha256: str = ""
    rows_total: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)
    batch_id: int | None = None
    committed: bool = False
    dry_run: bool = False
    mode: str = "all_or_nothing"
    column_map: dict[str, str] = field(default_factory=dict)  # file header -> column
    rows: pd.DataFrame | None = None           # valid rows, canonical columns
    rejected_rows: pd.DataFrame | None = None  # the file's rows that were rejected, as read
    raw: readers.RawTable | None = None
    conversions: list = field(default_factory=list)   # legacy.Conversion: old codes converted
    splits: list = field(default_factory=list)        # legacy.LegacyCommune awaiting a choice
    other_provinces: list = field(default_factory=list)   # (code, name) not in the data yet
    needs_confirmation: bool = False  # other provinces found and not confirmed: not written

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def problems_frame(self) -> pd.DataFrame:
        return pd.DataFrame([p.as_dict() for p in self.problems],
                            columns=["row", "column", "value", "message", "suggestion",
                                     "severity"])

    PROBLEM_HEADERS = {"row": "Dòng", "column": "Cột", "value": "Giá trị", "message": "Vấn đề",
                       "suggestion": "Gợi ý", "severity": "Mức độ"}

    def problems_table(self) -> pd.DataFrame:
        """Problems with Vietnamese headers, errors first, in file order."""
        df = self.problems_frame()
        df["severity"] = df["severity"].map({"error": "Lỗi", "warning": "Cảnh báo"})
        df["column"] = df["column"].fillna("")
        df["_o"] = df["severity"].ne("Lỗi")
        df = df.sort_values(["_o", "row"], na_position="first", kind="stable").drop(columns="_o")
        df["row"] = df["row"].astype("Int64")
        return df.rename(columns=self.PROBLEM_HEADERS)

    def summary_text(self) -> str:
        """The DHIS2-style import summary, in Vietnamese, for the CLI and logs."""
        state = ("ĐÃ GHI" if self.committed else
                 "CHẠY THỬ — chưa ghi gì" if self.dry_run else "KHÔNG GHI (tệp có lỗi)")
        lines = [
            f"Nhập dữ liệu «{self.dataset}» từ tệp {self.file_name}: {state}",
            f"  Số dòng đọc được: {self.rows_total}",
            f"  Mới: {self.new} · Cập nhật: {self.updated} · Không đổi: {self.unchanged}"
            f" · Bị từ chối: {self.rejected}",
        ]
        if self.batch_id is not None:
            lines.append(f"  Lô nhập số {self.batch_id} (sha256 {self.sha256[:12]}…)")
        if self.errors:
            lines.append(f"Lỗi ({len(self.errors)}):")
        for p in self.errors:
            lines.append("  " + _problem_line(p))
        if self.warnings:
            lines.append(f"Cảnh báo ({len(self.warnings)}):")
        for p in self.warnings:
            lines.append("  " + _problem_line(p))
        return "\n".join(lines)


def _problem_line(p: Problem) -> str:
    where = []
    if p.row is not None:
        where.append(f"dòng {p.row}")
    if p.column:
        where.append(f"cột «{p.column}»")
    text = ", ".join(where)
    value = f" giá trị «{p.value}»" if p.value != "" else ""
    sug = f" — {p.suggestion}" if p.suggestion else ""
    return f"{text}:{value} — {p.message}{sug}" if text else f"{p.message}{sug}"
