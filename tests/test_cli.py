"""The command line as scripts use it: exit codes, plain machine-readable output."""
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from dashboard import demo
from dashboard.output import docs

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, db=None):
    cmd = [sys.executable, "-m", "dashboard", *args] + (["--db", str(db)] if db else [])
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_demo_then_kpi_overview(demo_db):
    r = cli("query", "kpi_overview", "--param", "as_of=2026-10-31", db=demo_db)
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(io.StringIO(r.stdout))
    row = df.iloc[0]
    assert row.communes == 99 and row.models == 1900
    assert 1800 <= row.cells <= 2300 and 0 < row.coverage_pct < 100
    assert "," not in r.stdout.splitlines()[1].split(",")[0]   # no thousands separators


def test_query_json_and_usage_errors(demo_db):
    r = cli("query", "pilot_vs_rollout", "--format", "json", db=demo_db)
    rows = json.loads(r.stdout)
    phases = {x["phase"]: x for x in rows}
    assert phases["pilot"]["communes"] == 2 and phases["pilot"]["cells"] in range(35, 50)
    assert cli("query", "no_such_query", db=demo_db).returncode == 2
    assert cli("query", "kpi_overview", "--param", "as_of", db=demo_db).returncode == 2
    assert cli("import", "villages", "x.csv", db=demo_db).returncode == 2
    assert cli("frobnicate").returncode == 2


def test_import_exit_codes_and_dry_run(tmp_path):
    db = tmp_path / "c.duckdb"
    r = cli("units-from-reference", "24", db=db)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Mới: 100" in r.stdout            # the province and its 99 communes
    good = tmp_path / "villages.csv"
    good.write_text("unit_code,unit_name,level,parent_code,households\n"
                    "07210-01,TDP 1,village,07210,120\n", encoding="utf-8")
    r = cli("import", "units", str(good), "--dry-run", db=db)
    assert r.returncode == 0 and "CHẠY THỬ" in r.stdout and "Mới: 1" in r.stdout
    bad = tmp_path / "cells.csv"
    bad.write_text("cell_id,cell_name,unit_code,phase,established_on,members,households_covered\n"
                   "T1,A,07210-01,pilot,2024-01-01,0,40\n", encoding="utf-8")
    r = cli("import", "cells", str(bad), db=db)
    assert r.returncode == 1
    assert "dòng 2" in r.stdout and "Số thành viên" in r.stdout
    assert cli("query", "kpi_overview", db=db).stdout.splitlines()[1].split(",")[2] == "0"
    assert cli("units-from-reference", "99", db=db).returncode == 2


def test_demo_files_are_what_the_generator_makes(tmp_path):
    demo.generate(tmp_path)
    for name in demo.ORDER:
        assert (tmp_path / f"{name}.csv").read_bytes() == \
            (demo.DEMO_DIR / f"{name}.csv").read_bytes(), name


def test_data_docs_are_current():
    assert docs.DOCS.read_text(encoding="utf-8") == docs.render(), \
        "docs/data-contract.md is stale: run `python -m dashboard docs`"
    assert docs.SETTINGS_DOCS.read_text(encoding="utf-8") == docs.render_settings(), \
        "docs/settings.md is stale: run `python -m dashboard docs`"
