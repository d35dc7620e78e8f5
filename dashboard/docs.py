"""Documentation generated from the code: the data contract and the named queries."""
from __future__ import annotations

from pathlib import Path

from . import contract, queries

DOCS = Path(__file__).resolve().parent.parent / "docs" / "data-contract.md"


def render() -> str:
    lines = [contract.markdown_docs(), "", "# Truy vấn có tên (queries/)", "",
             "| tên | tiêu đề | tham số | cột |", "|---|---|---|---|"]
    for name in queries.names():
        q = queries.get(name)
        lines.append(f"| {q.name} | {q.title} | {q.param_doc} | {', '.join(q.columns)} |")
    return "\n".join(lines) + "\n"


def write(path: Path = DOCS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    return path
