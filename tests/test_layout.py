"""The house plan holds: Streamlit only in the web layer, pages without SQL, one list of pinned
runtime dependencies, and the package installs without the source tree."""
from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "dashboard"
WEB = {PKG / "web", PKG / "pages"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_streamlit_only_in_the_web_layer():
    offenders = [str(p.relative_to(ROOT)) for p in PKG.rglob("*.py")
                 if "streamlit" in _imports(p) and not any(d in p.parents for d in WEB)]
    assert offenders == []


def test_a_deliberate_streamlit_import_would_be_caught(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("import streamlit as st\n")
    assert "streamlit" in _imports(bad)


def test_pages_hold_no_sql():
    sql = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\s+[\w*]", re.I)
    for page in (PKG / "pages").glob("*.py"):
        if page.name == "sql.py":      # the SQL explorer's own page shows example statements
            continue
        text = re.sub(r'"""[\s\S]*?"""', "", page.read_text(encoding="utf-8"))
        hits = [line for line in text.splitlines()
                if sql.search(line) and "sql" not in line.lower().split("=")[0]]
        assert not [h for h in hits if "FROM " in h.upper()], (page.name, hits)


def _pins(lines) -> list[str]:
    return [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith(("#", "-"))]


def test_runtime_pins_are_declared_once_and_mirrored():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    req = _pins((ROOT / "requirements.txt").read_text().splitlines())
    assert sorted(project["dependencies"]) == sorted(req)
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[\w.]+", r) for r in req), req
    test_req = _pins((ROOT / "requirements-test.txt").read_text().splitlines())
    assert all("==" in r for r in test_req)
    names = {r.split("==")[0].lower() for r in req}
    assert "pytest" not in names and "playwright" not in names and "statsmodels" not in names


def test_every_third_party_import_is_pinned():
    pinned = {r.split("==")[0].lower().replace("-", "_")
              for r in _pins((ROOT / "requirements.txt").read_text().splitlines())}
    aliases = {"python_calamine": "python_calamine", "fonttools": "fontTools", "pyyaml": "yaml",
               "python_pptx": "pptx", "python_docx": "docx", "fpdf2": "fpdf", "babel": "babel",
               "pillow": "PIL", "argon2_cffi": "argon2"}
    modules = {aliases.get(p, p).lower() for p in pinned}
    std = {"__future__"} | set(__import__("sys").stdlib_module_names)
    used: set[str] = set()
    for p in PKG.rglob("*.py"):
        used |= _imports(p)
    missing = sorted(m for m in used - std - {"dashboard"} if m.lower() not in modules)
    assert missing == []


def test_package_data_is_shipped():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    globs = data["package-data"]["dashboard"]
    for g in globs:
        assert list(PKG.glob(g)), g
    assert (PKG / "store" / "sql" / "kpi_overview.sql").exists()


def test_pip_install_without_the_source_tree(tmp_path):
    """`pip install .` (not editable) gives a package that runs from any folder."""
    import subprocess
    import sys

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(target), str(ROOT)], check=True, cwd=tmp_path)
    shipped = target / "dashboard"
    assert (shipped / "store" / "sql" / "kpi_overview.sql").exists()
    assert (shipped / "pages" / "overview.py").exists()
    assert (shipped / "web" / "app.py").exists()
    assert list((shipped / "demo" / "files").glob("*.csv"))
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", "import dashboard, sys; print(dashboard.__file__);"
                          "from dashboard.store import queries; print(len(queries.names()))"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    path, count = out.stdout.split()
    assert path.startswith(str(target)) and int(count) >= 4
