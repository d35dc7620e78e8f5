"""The SQL sandbox: hostile statements are refused or stopped, the data never changes.

A small hand-made database (one province, two communes, two villages, four cells) so that the
expected figures are computed by hand:

- village 07228-01 (100 households): C1 pilot 2024-01-10 (6 members, 60 households) and
  C2 rollout 2024-05-01 (5, 70) -> raw 130, capped 100;
- village 07228-02 (50 households): C3 rollout 2024-03-01, ended 2025-01-01 (4, 30);
- commune 07228 itself: C4 rollout 2024-06-01 (7, 20);
- commune 09999 (80 households, no villages, no cells).
At 2025-06-30: active C1, C2, C4 -> commune 07228 has 3 cells, 18 members, households 150,
covered min(100 + 0 + 20, 150) = 120 (80 %).
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from dashboard import sandbox, store

ROOT = Path(__file__).resolve().parent.parent

UNITS = [("24", "Tỉnh Bắc Ninh", "province", None, None, None),
         ("07228", "Phường Đa Mai", "commune", "24", None, None),
         ("07228-01", "Tổ dân phố số 1", "village", "07228", 100, 400),
         ("07228-02", "Tổ dân phố số 2", "village", "07228", 50, 200),
         ("09999", "Xã Trống", "commune", "24", 80, None)]
CELLS = [("C1", "Tổ 1", None, "07228-01", "pilot", "2024-01-10", None, 6, 60, None),
         ("C2", "Tổ 2", None, "07228-01", "rollout", "2024-05-01", None, 5, 70, None),
         ("C3", "Tổ 3", None, "07228-02", "rollout", "2024-03-01", "2025-01-01", 4, 30, None),
         ("C4", "Tổ 4", None, "07228", "rollout", "2024-06-01", None, 7, 20, None)]


def build_db(path: Path) -> Path:
    db = store.Database(path)
    cur = db.cursor()
    cur.executemany("INSERT INTO units VALUES (?, ?, ?, ?, ?, ?)", UNITS)
    cur.executemany("INSERT INTO cells VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", CELLS)
    cur.execute("INSERT INTO models (model_id, model_name, field, level, unit_code, started_on)"
                " VALUES ('M1', '=HYPERLINK(\"x\")', 'economy', 'commune', '07228', "
                "DATE '2024-02-01')")
    cur.close()
    db.con.execute("CHECKPOINT")
    db.close()
    return path


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    return build_db(tmp_path_factory.mktemp("sandbox") / "small.duckdb")


@pytest.fixture(autouse=True)
def _close_sandboxes():
    yield
    sandbox.close_all()


def file_digest(path: Path) -> str:
    h = hashlib.sha256(Path(path).read_bytes())
    wal = Path(str(path) + ".wal")
    if wal.exists():
        h.update(wal.read_bytes())
    return h.hexdigest()


def content_digest(path: Path) -> list:
    """Every user table's rows, read through a fresh plain connection."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        out = []
        for t in tables:
            out.append((t, con.execute(f"SELECT count(*), hash(list(x ORDER BY x)) "
                                       f"FROM (SELECT t::VARCHAR AS x FROM {t} t)").fetchone()))
        out.append(con.execute("SELECT count(*) FROM duckdb_functions() "
                               "WHERE function_type = 'table_macro' AND NOT internal"
                               ).fetchone())
        return out
    finally:
        con.close()


# --- what the parser lets through -----------------------------------------------------------

@pytest.mark.parametrize("sql", [
    "SELECT 1", "select 1;", "FROM units", "WITH t AS (SELECT 1 AS x) SELECT * FROM t",
    "VALUES (1, 2)", "DESCRIBE units", "SHOW TABLES", "SUMMARIZE cells",
    "SELECT 1 -- trailing comment", "(SELECT 1) UNION ALL (SELECT 2)",
    "SELECT * FROM commune_coverage(DATE '2025-06-30')",
    "SELECT * FROM pragma_table_info('units')",
])
def test_read_statements_pass_the_check(sql):
    checked = sandbox.check(sql)
    assert not checked.sql.endswith(";")


WRITES = [
    "INSERT INTO units VALUES ('X', 'X', 'commune', '24', 1, 1)",
    "INSERT OR REPLACE INTO cells SELECT * FROM cells",
    "UPDATE cells SET members = 0",
    "DELETE FROM cells",
    "TRUNCATE cells",
    "MERGE INTO cells USING cells c2 ON cells.cell_id = c2.cell_id WHEN MATCHED THEN DELETE",
    "CREATE TABLE x AS SELECT 1",
    "CREATE TEMP TABLE x AS SELECT 1",
    "CREATE OR REPLACE VIEW v AS SELECT 1",
    "CREATE OR REPLACE MACRO active_cells(d) AS TABLE SELECT 1",
    "CREATE SEQUENCE s",
    "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
    "DROP TABLE cells",
    "DROP MACRO TABLE active_cells",
    "ALTER TABLE cells ADD COLUMN x INTEGER",
    "ALTER TABLE cells RENAME TO cells_old",
    "COPY cells TO '/tmp/sandbox_leak.csv'",
    "COPY cells FROM '/etc/passwd'",
    "COPY (SELECT * FROM units) TO '/tmp/sandbox_leak.parquet' (FORMAT parquet)",
    "EXPORT DATABASE '/tmp/sandbox_export'",
    "IMPORT DATABASE '/tmp/sandbox_export'",
    "ATTACH '/tmp/sandbox_other.duckdb' AS other",
    "ATTACH ':memory:' AS m",
    "DETACH small",
    "USE memory",
    "INSTALL httpfs",
    "FORCE INSTALL spatial",
    "LOAD httpfs",
    "SET memory_limit = '10GB'",
    "SET enable_external_access = true",
    "SET max_execution_time = 0",
    "SET threads = 8",
    "RESET ALL",
    "SET VARIABLE x = 1",
    "PRAGMA enable_profiling",
    "PRAGMA threads = 4",
    "CALL pragma_version()",
    "CALL checkpoint()",
    "CHECKPOINT",
    "FORCE CHECKPOINT",
    "VACUUM",
    "ANALYZE",
    "BEGIN TRANSACTION",
    "COMMIT",
    "ROLLBACK",
    "ABORT",
    "PREPARE p AS SELECT 1",
    "EXECUTE p",
    "DEALLOCATE p",
    "EXPLAIN SELECT 1",
    "PIVOT cells ON phase USING count(*)",
]
MULTI = [
    "SELECT 1; DROP TABLE cells",
    "DROP TABLE cells; SELECT 1",
    "SELECT 1; SELECT 2",
    "SELECT 1;;SELECT 2",
]
READERS = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv_auto('/etc/passwd')",
    "SELECT * FROM read_parquet('/tmp/x.parquet')",
    "SELECT * FROM parquet_scan('/tmp/x.parquet')",
    "SELECT * FROM read_json('/tmp/x.json')",
    "SELECT * FROM read_json_auto('/tmp/x.json')",
    "SELECT * FROM read_ndjson('/tmp/x.json')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/etc/hostname')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM sniff_csv('/etc/passwd')",
    "SELECT * FROM parquet_metadata('/tmp/x.parquet')",
    "SELECT * FROM parquet_schema('/tmp/x.parquet')",
    "SELECT * FROM read_csv('https://example.com/data.csv')",
    "SELECT * FROM read_parquet('s3://bucket/x.parquet')",
    "SELECT (SELECT count(*) FROM read_text('/etc/passwd')) AS n",
    "SELECT * FROM cells WHERE cell_id IN (SELECT column0 FROM read_csv('/etc/passwd'))",
    "WITH t AS (SELECT * FROM read_text('/etc/passwd')) SELECT * FROM t",
    "SUMMARIZE SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM query('SELECT 42')",
    "SELECT * FROM query_table('cells')",
    "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))",
    "SELECT * FROM duckdb_secrets()",
    "SELECT * FROM duckdb_settings()",
    "SELECT current_setting('temp_directory')",
    "SELECT * FROM checkpoint()",
    "SELECT * FROM pragma_database_size()",
]
FILE_TABLES = [  # replacement scans: a path used as a table name
    "SELECT * FROM '/etc/passwd'",
    "FROM 'dashboard/demo/files/cells.csv'",
    "SELECT * FROM 'https://example.com/x.parquet'",
]


@pytest.mark.parametrize("sql", WRITES + MULTI + READERS + FILE_TABLES
                         + ["", "   ", "SELEC 1", "-- only"])
def test_check_refuses(sql):
    with pytest.raises(sandbox.SandboxError) as e:
        sandbox.check(sql)
    assert e.value.kind == "refused"
    assert e.value.message  # Vietnamese text for the analyst


def test_messages_are_specific():
    with pytest.raises(sandbox.SandboxError, match="DROP"):
        sandbox.check("DROP TABLE cells")
    with pytest.raises(sandbox.SandboxError, match="có 2 câu lệnh"):
        sandbox.check("SELECT 1; SELECT 2")
    with pytest.raises(sandbox.SandboxError, match="read_text"):
        sandbox.check("SELECT * FROM read_text('/etc/passwd')")
    with pytest.raises(sandbox.SandboxError, match="INSERT"):
        sandbox.check("INSERT INTO cells SELECT * FROM cells")


# --- running on the file (the CLI's way) ----------------------------------------------------

def test_hand_computed_coverage(small_db):
    sb = sandbox.for_path(small_db)
    res = sb.run("SELECT unit_code, households, cells, members, households_covered "
                 "FROM commune_coverage($as_of) ORDER BY unit_code", {"as_of": "2025-06-30"})
    assert [tuple(r) for r in res.df.itertuples(index=False)] == [
        ("07228", 150, 3, 18, 120), ("09999", 80, 0, 0, 0)]
    assert res.truncated is False
    assert res.params["as_of"].isoformat() == "2025-06-30"


def test_every_hostile_statement_leaves_the_file_unchanged(small_db):
    before_file, before_rows = file_digest(small_db), content_digest(small_db)
    sb = sandbox.for_path(small_db)
    for sql in WRITES + MULTI + READERS + FILE_TABLES + ["SELECT nextval('batch_seq')"]:
        with pytest.raises(sandbox.SandboxError) as e:
            sb.run(sql)
        assert e.value.kind in ("refused", "error"), sql
    sandbox.close_all()
    assert file_digest(small_db) == before_file
    assert content_digest(small_db) == before_rows
    assert not Path("/tmp/sandbox_leak.csv").exists()
    assert not Path("/tmp/sandbox_export").exists()


def test_file_tables_refused_by_the_connection(small_db):
    """Even past the parser's check, the locked connection cannot read a file."""
    sb = sandbox.for_path(small_db)
    for sql in ["SELECT * FROM 'dashboard/demo/files/cells.csv'", "SELECT * FROM read_text('/etc/passwd')",
                "SELECT * FROM glob('/etc/*')"]:
        cur = sb.con.cursor()
        with pytest.raises(duckdb.PermissionException):
            cur.execute(sql).fetchall()
        cur.close()
        with pytest.raises(sandbox.SandboxError) as e:
            sb.run(sql)
        assert e.value.kind == "refused"
    cur = sb.con.cursor()
    with pytest.raises(duckdb.Error, match="locked"):
        cur.execute("SET enable_external_access = true")
    with pytest.raises(duckdb.Error, match="read-only"):
        cur.execute("CREATE TABLE x AS SELECT 1")
    cur.close()


def test_row_cap_and_full_download(small_db):
    sb = sandbox.for_path(small_db)
    res = sb.run("SELECT range AS i FROM range(25000)")
    assert len(res.df) == 10_000 and res.truncated and res.row_limit == 10_000
    assert res.df["i"].tolist()[:3] == [0, 1, 2] and res.df["i"].iloc[-1] == 9_999
    exact = sb.run("SELECT range AS i FROM range(10000)")
    assert len(exact.df) == 10_000 and not exact.truncated
    full = sb.run_full("SELECT range AS i FROM range(25000)")
    assert len(full.df) == 25_000 and not full.truncated
    empty = sb.run("SELECT * FROM units WHERE false")
    assert len(empty.df) == 0 and list(empty.df.columns) == [
        "unit_code", "unit_name", "level", "parent_code", "households", "population"]


def test_download_cap_applies(small_db, tmp_path):
    path = build_db(tmp_path / "cap.duckdb")
    sb = sandbox.for_path(path, sandbox.Limits(max_rows=5, download_rows=12))
    res = sb.run_full("SELECT * FROM range(100)")
    assert len(res.df) == 12 and res.truncated


def test_long_query_is_stopped_and_others_keep_running(tmp_path):
    path = build_db(tmp_path / "slow.duckdb")
    sb = sandbox.for_path(path, sandbox.Limits(timeout_s=1.5))
    outcome = {}

    def slow():
        try:
            sb.run("SELECT count(*) FROM range(100000) a, range(100000) b "
                   "WHERE a.range * b.range % 7 = 3")
            outcome["result"] = "finished"
        except sandbox.SandboxError as e:
            outcome["result"] = e

    th = threading.Thread(target=slow)
    th.start()
    time.sleep(0.3)
    quick = sb.run("SELECT count(*) AS n FROM cells")   # another session meanwhile
    assert quick.df["n"].iloc[0] == 4
    assert "result" not in outcome   # answered while the slow statement was still running
    th.join(20)
    err = outcome["result"]
    assert isinstance(err, sandbox.SandboxError) and err.kind == "timeout"
    assert "1,5 giây" in err.message   # stopped by its time limit, not run to the end


def test_recursive_query_is_stopped(tmp_path):
    path = build_db(tmp_path / "rec.duckdb")
    sb = sandbox.for_path(path, sandbox.Limits(timeout_s=1))
    with pytest.raises(sandbox.SandboxError) as e:
        sb.run("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) "
               "SELECT count(*) FROM t")
    assert e.value.kind in ("timeout", "memory")


def test_memory_is_bounded(tmp_path):
    path = build_db(tmp_path / "mem.duckdb")
    sb = sandbox.for_path(path, sandbox.Limits(memory_limit="64MB"))
    with pytest.raises(sandbox.SandboxError) as e:
        sb.run("SELECT list(range) FROM range(50000000)")
    assert e.value.kind == "memory" and "64MB" in e.value.message


def test_parameters(small_db):
    sb = sandbox.for_path(small_db)
    res = sb.run("SELECT $as_of::DATE AS d, $communes AS c, $level AS l",
                 {"as_of": "30/06/2025", "communes": "07228, 09999", "level": "village"})
    row = res.df.iloc[0]
    assert str(row["d"])[:10] == "2025-06-30"
    assert list(row["c"]) == ["07228", "09999"] and row["l"] == "village"
    assert sandbox.param_names("SELECT $b, $a, $b, '$c' -- $d") == ("b", "a")
    with pytest.raises(sandbox.SandboxError, match=r"\$unit"):
        sb.run("SELECT $unit AS u")
    with pytest.raises(sandbox.SandboxError, match="không phải là ngày"):
        sb.run("SELECT $as_of AS d", {"as_of": "hôm qua"})
    # communes defaults to NULL (all), as in the named queries
    assert sb.run("SELECT $communes IS NULL AS all_communes").df.iloc[0, 0]


def test_every_named_query_runs_in_the_sandbox(small_db):
    from dashboard.store import queries

    sb = sandbox.for_path(small_db)
    needs = {"indicator": "feedback_received", "model_id": "M1", "commune": "07228"}
    for name in queries.names():
        q = queries.get(name)
        params = {k: v for k, v in needs.items() if k in q.params}
        res = sb.run(q.sql, {**params, "as_of": "2025-06-30"})
        assert list(res.df.columns) == list(q.columns) or not q.columns, name


# --- the snapshot used when this process holds the database read-write (the app) -----------

def test_snapshot_follows_the_data_and_never_writes_back(tmp_path):
    path = build_db(tmp_path / "app.duckdb")
    db = store.open_db(path)
    try:
        sb = sandbox.for_database(db)
        assert sandbox.for_path(path) is sb          # same process: reuses the snapshot
        assert sb.path != path
        assert sb.run("SELECT count(*) AS n FROM cells").df["n"].iloc[0] == 4
        before = db.df("SELECT * FROM cells ORDER BY cell_id")
        for sql in WRITES + READERS + FILE_TABLES:
            with pytest.raises(sandbox.SandboxError):
                sb.run(sql)
        after = db.df("SELECT * FROM cells ORDER BY cell_id")
        assert before.equals(after)
        assert db.table_count("units") == 5
        # the app changes the data -> the next sandbox sees it
        cur = db.cursor()
        cur.execute("INSERT INTO cells VALUES ('C5', 'Tổ 5', NULL, '07228-02', 'rollout', "
                    "DATE '2025-02-01', NULL, 5, 10, NULL)")
        cur.close()
        sb2 = sandbox.for_database(db)
        assert sb2 is not sb
        assert sb2.run("SELECT count(*) AS n FROM cells").df["n"].iloc[0] == 5
        assert sandbox.for_database(db) is sb2       # unchanged data: no new snapshot
    finally:
        sandbox.close_all()
        store.close_db(path)


def test_page_gets_the_previous_snapshot_while_the_new_one_is_written(tmp_path, monkeypatch):
    """wait=False never waits for a snapshot of new data: it returns the previous one (whose
    schema the page draws) while the new one is written in the background; a statement
    (wait=True) waits for the new one and sees the new rows."""
    import threading

    from dashboard.sandbox import snapshot

    path = build_db(tmp_path / "app.duckdb")
    db = store.open_db(path)
    release = threading.Event()
    real = snapshot._make_snapshot
    try:
        assert sandbox.for_database(db, wait=False) is None      # nothing yet: the page waits
        first = sandbox.for_database(db)
        assert sandbox.for_database(db, wait=False) is first
        assert not sandbox.building(db)
        cur = db.cursor()
        cur.execute("INSERT INTO cells VALUES ('C5', 'Tổ 5', NULL, '07228-02', 'rollout', "
                    "DATE '2025-02-01', NULL, 5, 10, NULL)")
        cur.close()

        def slow(*a, **k):
            release.wait(30)
            return real(*a, **k)

        monkeypatch.setattr(snapshot, "_make_snapshot", slow)
        assert sandbox.for_database(db, wait=False) is first      # stale, returned at once
        assert sandbox.building(db)
        assert first.schema() is first.schema()                   # read once, kept
        assert first.run("SELECT count(*) AS n FROM cells").df["n"].iloc[0] == 4
        release.set()
        fresh = sandbox.for_database(db)                          # waits for the new one
        assert fresh is not first and not sandbox.building(db)
        assert fresh.run("SELECT count(*) AS n FROM cells").df["n"].iloc[0] == 5
        assert sandbox.for_database(db, wait=False) is fresh
    finally:
        release.set()
        sandbox.close_all()
        store.close_db(path)


def test_a_failed_snapshot_is_reported_to_the_statement(tmp_path, monkeypatch):
    from dashboard.sandbox import snapshot

    path = build_db(tmp_path / "app.duckdb")
    db = store.open_db(path)

    def broken(*a, **k):
        raise sandbox.SandboxError("Không ghi được bản sao.", "error")

    monkeypatch.setattr(snapshot, "_make_snapshot", broken)
    try:
        with pytest.raises(sandbox.SandboxError, match="bản sao"):
            sandbox.for_database(db)
        assert not sandbox.building(db)
        monkeypatch.undo()
        assert sandbox.for_database(db).run("SELECT count(*) AS n FROM cells").df["n"][0] == 4
    finally:
        sandbox.close_all()
        store.close_db(path)


def test_schema_lists_tables_with_meaning(small_db):
    schema = sandbox.for_path(small_db).schema()
    row = schema[(schema.table == "cells") & (schema.column == "households_covered")].iloc[0]
    assert row["label"] == "Số hộ phụ trách" and row["type"] == "BIGINT"
    assert "≥ 0" in row["meaning"]
    assert {"units", "cells", "models", "indicators", "ref_communes", "batches"} <= set(
        schema.table)
    macro = schema[schema.table.str.startswith("commune_coverage(")]
    assert len(macro) == 1 and macro.iloc[0]["type"] == "TABLE MACRO"
    assert sandbox.table_label("ref_communes") == "Danh mục xã 2025"


# --- links into the explorer ----------------------------------------------------------------

def test_explorer_link_round_trip():
    import datetime as dt

    qp = sandbox.explorer_query_params("coverage_by_unit", {
        "as_of": dt.date(2025, 6, 30), "communes": ["07228", "09999"], "level": "village",
        "x": None})
    assert qp == {"q": "coverage_by_unit", "p_as_of": "2025-06-30",
                  "p_communes": "07228,09999", "p_level": "village"}
    name, sql, params = sandbox.parse_explorer_query_params(qp)
    assert name == "coverage_by_unit" and sql is None
    assert params == {"as_of": "2025-06-30", "communes": "07228,09999", "level": "village"}
    assert sandbox.explorer_query_params(sql="SELECT 1") == {"sql": "SELECT 1"}


# --- command line ---------------------------------------------------------------------------

def test_cli_outputs_csv_and_json(small_db, capsys):
    rc = sandbox.cli_main(["SELECT unit_code, households FROM units WHERE level = 'village' "
                           "ORDER BY 1", "--db", str(small_db)])
    out = capsys.readouterr()
    assert rc == 0
    assert out.out == "unit_code,households\n07228-01,100\n07228-02,50\n"
    rc = sandbox.cli_main(["SELECT cell_id, established_on, ended_on FROM cells "
                           "WHERE cell_id = 'C3'", "--db", str(small_db), "--format", "json"])
    out = capsys.readouterr()
    assert rc == 0
    assert out.out.strip() == ('[{"cell_id": "C3", "established_on": "2024-03-01", '
                               '"ended_on": "2025-01-01"}]')
    rc = sandbox.cli_main(["SELECT $as_of::DATE AS d", "--db", str(small_db),
                           "--param", "as_of=2025-06-30"])
    assert rc == 0 and capsys.readouterr().out == "d\n2025-06-30\n"


@pytest.mark.parametrize("sql", WRITES[::3] + MULTI + READERS[::3] + FILE_TABLES)
def test_cli_refuses_in_process(small_db, capsys, sql):
    before = file_digest(small_db)
    rc = sandbox.cli_main([sql, "--db", str(small_db)])
    out = capsys.readouterr()
    assert rc == 1
    assert out.out == "" and out.err.strip()
    assert file_digest(small_db) == before


def test_cli_truncation_note(small_db, capsys):
    rc = sandbox.cli_main(["SELECT * FROM range(10)", "--db", str(small_db), "--max-rows", "3"])
    out = capsys.readouterr()
    assert rc == 0 and out.out == "range\n0\n1\n2\n"
    assert "3 dòng" in out.err


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "dashboard", "sql", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_real_cli_refuses_and_times_out(small_db):
    before_file, before_rows = file_digest(small_db), content_digest(small_db)
    p = _cli("DROP TABLE cells", "--db", str(small_db))
    assert p.returncode == 1 and "DROP" in p.stderr and p.stdout == ""
    p = _cli("SELECT 1; DELETE FROM cells", "--db", str(small_db))
    assert p.returncode == 1 and "2 câu lệnh" in p.stderr
    p = _cli("SELECT * FROM read_csv('/etc/passwd')", "--db", str(small_db))
    assert p.returncode == 1 and "read_csv" in p.stderr
    t = time.monotonic()
    p = _cli("SELECT count(*) FROM range(1000000000000)", "--db", str(small_db),
             "--timeout", "1")
    assert p.returncode == 1 and "quá 1 giây" in p.stderr
    assert time.monotonic() - t < 15
    p = _cli("SELECT count(*) AS n FROM cells", "--db", str(small_db), "--format", "json")
    assert p.returncode == 0 and p.stdout.strip() == '[{"n": 4}]'
    assert "Traceback" not in p.stderr
    assert file_digest(small_db) == before_file
    assert content_digest(small_db) == before_rows


def test_schema_search_ignores_diacritics_and_case():
    import pandas as pd

    cols = pd.DataFrame({"table": ["units", "units", "cells"],
                         "column": ["unit_name", "households", "members"],
                         "type": ["VARCHAR", "BIGINT", "BIGINT"],
                         "label": ["Tên đơn vị", "Số hộ", "Số thành viên"],
                         "meaning": ["", "", ""]})
    assert sandbox.search_tables(cols, "") == ["units", "cells"]
    assert sandbox.search_tables(cols, "so ho") == ["units"]
    assert sandbox.search_tables(cols, "THÀNH VIÊN") == ["cells"]
    assert sandbox.search_tables(cols, "không có") == []
