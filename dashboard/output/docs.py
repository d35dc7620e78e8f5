"""Documentation generated from the code: the data contract, the named queries (docs/
data-contract.md) and every setting (docs/settings.md)."""
from __future__ import annotations

from pathlib import Path

from dashboard import config, contract
from dashboard.store import queries

DOCS = Path("docs") / "data-contract.md"   # relative to the working directory (the repository)
SETTINGS_DOCS = Path("docs") / "settings.md"


def render() -> str:
    lines = [contract.markdown_docs(), "", "# Truy vấn có tên (dashboard/store/sql/)", "",
             "| tên | tiêu đề | tham số | cột |", "|---|---|---|---|"]
    for name in queries.names():
        q = queries.get(name)
        lines.append(f"| {q.name} | {q.title} | {q.param_doc} | {', '.join(q.columns)} |")
    return "\n".join(lines) + "\n"


def render_settings() -> str:
    return config.markdown() + "\n"


def write(path: Path = DOCS, settings_path: Path = SETTINGS_DOCS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    settings_path.write_text(render_settings(), encoding="utf-8")
    return path
