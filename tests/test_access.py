"""Who may see and change what: passwords, logins with slow-down and lockout, sessions, the
audit log, scope enforced in the data layer (every named query, uploads, undo, archived
files, the SQL explorer's snapshot), role refusals and the command line.

The demo province (Bắc Ninh) with a viewer scoped to one commune (07774, Phường Tự Lạn) and
an editor scoped to another (07696); every figure of a scoped user is checked against the
same figure computed from the whole data.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import resource
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

# fast hashes in tests (the production defaults are settings, checked below)
os.environ.setdefault("DASHBOARD_ARGON2_MEMORY_KIB", "1024")
os.environ.setdefault("DASHBOARD_ARGON2_TIME_COST", "1")

from dashboard import config, ingest, sandbox, store  # noqa: E402
from dashboard.access import (  # noqa: E402
    LOCAL,
    Forbidden,
    Principal,
    audit,
    context,
    passwords,
    safe_text,
    scope,
    users,
)
from dashboard.store import history, queries  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "dashboard" / "demo" / "files"
A, B = "07774", "07696"          # two communes of the demo with cells and models
PW = "Mat-khau-2026"


@pytest.fixture
def db(demo_copy):
    d = store.Database(demo_copy)
    yield d
    scope.clear_cache()
    sandbox.close_all()
    d.close()


def units_below(db, code):
    return set(db.df("SELECT unit_code FROM units WHERE unit_code = ? OR parent_code = ?",
                     [code, code]).unit_code)


# --- passwords --------------------------------------------------------------------------

def test_password_strength_boundaries():
    n = config.get("password_min_length")
    assert n == 10
    assert passwords.problems("Ab1-" + "x" * (n - 4)) == []           # exactly n characters
    assert passwords.problems("Ab1-" + "x" * (n - 5))                  # one short
    assert passwords.problems("abcdefghij12") != []                    # two kinds only
    assert passwords.problems("abcdefghij1-") == []                    # three kinds
    assert passwords.problems("Password@123")                          # common
    assert passwords.problems("Tinh-admin-2026", "admin")              # contains the name
    assert passwords.problems("Tinh-xxxx-2026", "admin") == []


def test_hash_is_argon2id_with_the_settings(monkeypatch):
    monkeypatch.setenv("DASHBOARD_ARGON2_TIME_COST", "2")
    h = passwords.hash_password(PW)
    assert h.startswith("$argon2id$") and ",t=2," in h and "m=1024" in h
    assert passwords.verify(h, PW) and not passwords.verify(h, PW + "x")
    monkeypatch.setenv("DASHBOARD_ARGON2_TIME_COST", "3")
    assert passwords.needs_rehash(h)
    assert config.setting("argon2_memory_kib").default == 65536


# --- accounts and logins ----------------------------------------------------------------

def test_users_add_list_and_refusals(db):
    assert not users.any_users(db)
    users.add_user(db, "Tinh", PW, "admin", None)
    assert users.any_users(db)
    df = users.list_users(db)
    assert list(df.username) == ["tinh"] and "password_hash" not in df.columns
    assert db.scalar("SELECT password_hash FROM app_users").startswith("$argon2id$")
    for bad in [dict(username="tinh"), dict(role="boss"), dict(scope=("99999",)),
                dict(password="short"), dict(username="Có dấu")]:
        kw = dict(username="x2", password=PW, role="viewer", scope=(A,)) | bad
        with pytest.raises(users.UserError):
            users.add_user(db, kw["username"], kw["password"], kw["role"], kw["scope"])
    log = audit.entries(db, actions=["user_add", "user_change"])
    assert list(log.action) == ["user_add"] and '"tinh"' in log.detail.iloc[0]
    # the demo's own imports were recorded as made by the local user
    assert set(audit.entries(db, actions=["upload"]).username) == {"local"}


def test_slow_down_then_lockout_then_unlock(db):
    users.add_user(db, "xem", PW, "viewer", (A,))
    waits = []
    after, lock_after = config.get("login_slowdown_after"), config.get("login_lockout_after")
    assert (after, lock_after) == (3, 5)
    for _ in range(1, lock_after):
        res = users.authenticate(db, "xem", "wrong", "10.0.0.9", sleep=waits.append)
        assert not res.ok and res.locked_until is None
    # no wait for the first `after` failures, then a growing wait
    assert waits == [config.get("login_slowdown_s") * k for k in (1,)]
    assert users.authenticate(db, "xem", PW, sleep=waits.append).ok   # 4 failures: not locked
    for _ in range(lock_after):
        res = users.authenticate(db, "xem", "wrong", sleep=waits.append)
    assert not res.ok and res.locked_until is not None
    res = users.authenticate(db, "xem", PW, sleep=waits.append)          # right password
    assert not res.ok and "khóa" in res.message
    db.con.execute("UPDATE app_users SET locked_until = now()::TIMESTAMP - INTERVAL 1 MINUTE")
    assert users.authenticate(db, "xem", PW, sleep=waits.append).ok
    acts = list(audit.entries(db).action)
    assert acts.count("login") == 2 and acts.count("login_locked") == 1
    assert acts.count("login_failed") == 2 * lock_after - 1
    assert "10.0.0.9" in set(audit.entries(db).address.dropna())
    # an unknown name fails the same way and is logged with the name tried
    assert users.authenticate(db, "nobody", PW).message == users.FAILED


def test_sessions_reload_expiry_logout_disable_and_role_change(db):
    users.add_user(db, "phantich", PW, "analyst", None)
    p = users.authenticate(db, "phantich", PW).principal
    token = users.create_session(db, p)
    assert users.session_principal(db, token) == Principal("phantich", "analyst", None)
    assert db.scalar("SELECT count(*) FROM app_sessions WHERE token_sha256 = ?", [token]) == 0
    users.set_role(db, "phantich", "viewer")              # applies to the live session
    assert users.session_principal(db, token).role == "viewer"
    users.end_session(db, token, p)
    assert users.session_principal(db, token) is None
    t2 = users.create_session(db, p)
    hours = config.get("session_hours")
    exp = users.session_expires(db, t2)
    assert abs((exp - dt.datetime.now()).total_seconds() - hours * 3600) < 60
    db.con.execute("UPDATE app_sessions SET expires_at = now()::TIMESTAMP - INTERVAL 1 SECOND")
    assert users.session_principal(db, t2) is None       # expired
    t3 = users.create_session(db, p)
    users.set_disabled(db, "phantich")
    assert users.session_principal(db, t3) is None and users.get_principal(db, "phantich") is None
    assert not users.authenticate(db, "phantich", PW).ok


# --- scope: every named query ----------------------------------------------------------

CODE_COLUMNS = ("unit_code", "commune_code", "parent_code")


def _params(db, name, commune):
    q = queries.get(name)
    out = {}
    if "commune" in q.params:
        out["commune"] = commune
    if "model_id" in q.params:
        out["model_id"] = db.scalar("SELECT min(model_id) FROM models WHERE unit_code IN "
                                    "(SELECT unit_code FROM units WHERE unit_code = ? OR "
                                    "parent_code = ?)", [commune, commune])
    if "indicator" in q.params:
        out["indicator"] = "feedback_received"
    return out


@pytest.mark.parametrize("name", queries.names())
def test_every_named_query_returns_only_rows_in_scope(db, name):
    viewer = Principal("xem", "viewer", (A,))
    view = scope.database_for(db, viewer)
    inside = units_below(db, A) | {"24"}           # the province above: names only
    own = queries.run(view, name, _params(db, name, A))
    for col in CODE_COLUMNS:
        if col in own.columns:
            assert set(own[col].dropna()) <= inside, (name, col)
    # another commune's profile, card or figures: nothing
    other = queries.run(view, name, _params(db, name, B))
    for col in CODE_COLUMNS:
        if col in other.columns:
            assert B not in set(other[col].dropna())
    # an empty scope sees nothing: no unit, no cell, no model
    nobody = queries.run(scope.database_for(db, Principal("x", "viewer", ())), name,
                         _params(db, name, A))
    for col in ("unit_code", "commune_code", "model_id", "cell_id"):
        if col in nobody.columns:
            assert nobody[col].dropna().empty, (name, col)


def test_scoped_figures_equal_the_whole_datas_figures_for_that_commune(db):
    view = scope.database_for(db, Principal("xem", "viewer", (A,)))
    whole = queries.run(db, "coverage_by_unit", level="commune").set_index("unit_code")
    mine = queries.run(view, "coverage_by_unit", level="commune")
    assert list(mine.unit_code) == [A]
    assert mine.set_index("unit_code").loc[A].to_dict() == whole.loc[A].to_dict()
    kpi = queries.run(view, "kpi_overview").iloc[0]
    assert kpi.communes == 1 and kpi.cells == whole.loc[A, "cells"]
    assert kpi.households == whole.loc[A, "households"]
    assert kpi.models == db.scalar("SELECT count(*) FROM models WHERE unit_code IN (SELECT "
                                   "unit_code FROM units WHERE unit_code = ? OR parent_code = ?)",
                                   [A, A])
    # the province's own figures are not copied (names only)
    assert view.df("SELECT households, population FROM units WHERE level = 'province'"
                   ).isna().all().all()
    # a province scope is the whole data
    prov = scope.database_for(db, Principal("t", "viewer", ("24",)))
    assert queries.run(prov, "kpi_overview").equals(queries.run(db, "kpi_overview"))
    empty = queries.run(scope.database_for(db, Principal("x", "viewer", ())), "kpi_overview")
    assert empty.fillna(0).iloc[0].sum() == 0


def test_every_table_is_declared_and_private_tables_never_copied(db, tmp_path):
    assert scope.undeclared_tables(db) == []
    users.add_user(db, "tinh", PW, "admin", None)
    target = tmp_path / "snap.duckdb"
    scope.write_snapshot(db, None, target)
    import duckdb

    con = duckdb.connect(str(target), read_only=True)
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    con.close()
    assert not tables & scope.PRIVATE and {"units", "cells", "batch_changes"} <= tables
    # a new table nobody declared is not copied (deny by default) and is reported
    db.con.execute("CREATE TABLE secret_new (x INT)")
    assert scope.undeclared_tables(db) == ["secret_new"]


# --- writes within the scope ------------------------------------------------------------

def _cells(rows: list[tuple[str, str]]) -> bytes:
    df = pd.read_csv(DEMO / "cells.csv", dtype=str, keep_default_na=False).head(len(rows))
    df["Mã tổ"] = [r[0] for r in rows]
    df["Mã thôn/xã"] = [r[1] for r in rows]
    return df.to_csv(index=False).encode("utf-8")


def test_upload_outside_scope_is_rejected_with_rows_named(db):
    editor = Principal("soan", "editor", (A,))
    data = _cells([("NEW1", f"{A}-01"), ("NEW2", f"{B}-01"), ("NEW3", f"{A}-02")])
    before = db.table_count("cells")
    with context.acting(editor):
        rep = ingest.import_bytes(db, "cells", data, "tu_lan.csv")
    assert not rep.committed and db.table_count("cells") == before
    outside = [p for p in rep.errors if "ngoài phạm vi" in p.message]
    assert [(p.row, p.value) for p in outside] == [(3, f"{B}-01")]
    with context.acting(editor):
        rep = ingest.import_bytes(db, "cells", data, "tu_lan.csv", valid_rows_only=True)
    assert rep.committed and rep.new == 2
    assert db.scalar("SELECT created_by FROM batches WHERE batch_id = ?", [rep.batch_id]) == "soan"
    # a cell of another commune cannot be moved into mine
    other = db.scalar("SELECT min(cell_id) FROM cells WHERE unit_code LIKE ?", [f"{B}-%"])
    with context.acting(editor):
        rep = ingest.import_bytes(db, "cells", _cells([(other, f"{A}-01")]), "steal.csv")
    assert not rep.committed and any(p.value == other for p in rep.errors)
    acts = list(audit.entries(db, username="soan").action)
    assert acts.count("upload") == 1 and acts.count("upload_checked") == 2


def test_undo_and_archived_originals_only_within_scope(db):
    editor = Principal("soan", "editor", (A,))
    with context.acting(editor):
        mine = ingest.import_bytes(db, "cells", _cells([("NEW1", f"{A}-01")]), "a.csv")
    view = scope.database_for(db, editor)
    listed = set(history.list_batches(view).batch_id)
    assert listed == {mine.batch_id}                     # the demo's province-wide batches: no
    assert history.archived_file(view, mine.batch_id)[0] == "a.csv"
    demo_batch = int(db.scalar("SELECT min(batch_id) FROM batches"))
    assert history.archived_file(view, demo_batch) is None
    assert view.scalar("SELECT count(*) FROM batch_changes WHERE batch_id = ?", [demo_batch]) == 0
    with context.acting(editor), pytest.raises(Forbidden, match="ngoài phạm vi"):
        history.rollback(db, demo_batch, cascade=True)
    with context.acting(editor):
        res = history.rollback(db, mine.batch_id)
    assert res.batches == [mine.batch_id]
    assert "soan" in db.scalar("SELECT note FROM batches WHERE batch_id = ?", [mine.batch_id])
    assert "undo" in set(audit.entries(db, username="soan").action)


@pytest.mark.parametrize("role,action", [("viewer", "upload"), ("presenter", "upload"),
                                         ("analyst", "upload"), ("analyst", "undo")])
def test_roles_below_editor_cannot_write(db, role, action):
    who = Principal("p", role, None)
    with context.acting(who), pytest.raises(Forbidden):
        if action == "upload":
            ingest.import_bytes(db, "cells", _cells([("N", f"{A}-01")]), "x.csv", dry_run=True)
        else:
            history.rollback(db, 1)
    assert who.can("view") and not who.can(action)
    assert Principal("e", "editor", None).can(action)


def test_scoped_view_cannot_write(db):
    view = scope.database_for(db, Principal("xem", "viewer", (A,)))
    with pytest.raises(Forbidden):
        with view.transaction():
            pass


# --- SQL explorer over the scoped snapshot ---------------------------------------------

CATALOGUE = [
    "SELECT name, setting FROM pg_settings", "FROM pg_settings",
    "SELECT * FROM pg_catalog.pg_settings", "FROM pragma_database_list",
    "SELECT * FROM pragma_database_list()", "SELECT * FROM duckdb_databases()",
    "FROM duckdb_databases", "SELECT * FROM duckdb_settings()", "FROM duckdb_settings",
    "SELECT * FROM duckdb_extensions()", "FROM duckdb_extensions",
    "SELECT current_setting('temp_directory')", "SELECT * FROM duckdb_temporary_files()",
    "SELECT * FROM duckdb_memory()", "SELECT * FROM duckdb_secrets()",
    "SELECT getvariable('x')", "SELECT * FROM pragma_metadata_info()",
    "SELECT * FROM pragma_user_agent()", "SELECT * FROM duckdb_external_file_cache()",
    "SELECT * FROM (SELECT * FROM duckdb_databases()) d",
    "WITH s AS (FROM pg_settings) SELECT * FROM s",
]


@pytest.mark.parametrize("sql", CATALOGUE)
def test_catalogue_functions_revealing_settings_or_paths_are_refused(sql):
    with pytest.raises(sandbox.SandboxError) as e:
        sandbox.check(sql)
    assert e.value.kind == "refused"


@pytest.mark.parametrize("sql", ["SELECT * FROM duckdb_tables()", "DESCRIBE cells",
                                 "SELECT * FROM pragma_table_info('cells')", "SHOW TABLES",
                                 "SELECT * FROM information_schema.columns"])
def test_schema_catalogue_still_works(sql):
    sandbox.check(sql)


def test_explorer_snapshot_holds_only_the_scope(db):
    users.add_user(db, "tinh", PW, "admin", None)
    analyst = Principal("pt", "analyst", (A,))
    box = sandbox.for_database(scope.database_for(db, analyst))
    inside = units_below(db, A)
    got = box.run("SELECT DISTINCT unit_code FROM cells").df
    assert set(got.unit_code) <= inside and len(got)
    assert box.run("SELECT count(*) AS n FROM batch_changes").df.n[0] == 0
    with pytest.raises(sandbox.SandboxError, match="app_users"):
        box.run("SELECT * FROM app_users")
    with pytest.raises(sandbox.SandboxError, match="audit_log"):
        box.run("SELECT * FROM audit_log")
    whole = sandbox.for_database(db)
    assert whole.run("SELECT count(*) AS n FROM cells").df.n[0] == db.table_count("cells")
    with pytest.raises(sandbox.SandboxError):
        whole.run("SELECT * FROM app_users")


def test_result_bytes_are_capped_at_the_setting(small_sandbox_db):
    limits = sandbox.Limits(max_result_mb=1)
    box = sandbox.for_path(small_sandbox_db, limits, principal=LOCAL)
    res = box.run("SELECT repeat('x', 50000) AS s FROM range(10000)", max_rows=10000)
    assert res.cut == "bytes" and res.truncated
    assert 0 < len(res.df) < 10000 and res.bytes <= limits.max_result_bytes
    # a result just under the cap is whole
    small = box.run("SELECT repeat('x', 1000) AS s FROM range(500)")
    assert small.cut is None and len(small.df) == 500


@pytest.fixture
def small_sandbox_db(tmp_path):
    from test_sandbox import build_db

    return build_db(tmp_path / "small.duckdb")


def test_the_repeat_statement_does_not_swell_the_process(small_sandbox_db):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    p = subprocess.run([sys.executable, "-m", "dashboard", "sql",
                        "SELECT repeat('x', 50000) AS s FROM range(10000)", "--db",
                        str(small_sandbox_db)], cwd=ROOT, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    assert p.returncode == 0 and "vượt giới hạn" in p.stderr
    assert peak_mb < 700, peak_mb          # was about 2 GB before the byte cap


# --- user text and paths ----------------------------------------------------------------

def test_markdown_and_html_escaping():
    hostile = "![x](http://host/beacon.png) <img src=http://host/i.png> :red[x] $x$"
    md = safe_text.markdown(hostile)
    import re

    assert re.search(r"(?<!\\)[!\[\]()<>:$]", md) is None, md   # every one escaped
    assert md.replace("\\", "") == hostile
    assert safe_text.html("<img src=x>") == "&lt;img src=x&gt;"
    msg = safe_text.scrub_paths('IO Error: Cannot open "/root/data/x.duckdb"; on 12/05/2024')
    assert "/root" not in msg and "12/05/2024" in msg


def test_boundary_error_shows_no_server_path(db, tmp_path):
    from dashboard.ingest import boundary_files as boundaries

    bad = tmp_path / "secret_folder" / "ranh_gioi.geojson"
    bad.parent.mkdir()
    bad.write_text("{not json", encoding="utf-8")
    rep = boundaries.import_boundaries(db, bad)
    assert rep.errors and not any(str(tmp_path) in m for m in rep.messages())
    rep = boundaries.import_boundaries(db, tmp_path / "missing.geojson")
    assert rep.errors and not any(str(tmp_path) in m for m in rep.errors)


# --- command line -----------------------------------------------------------------------

def _cli(*args, stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_cli_users_and_principal(demo_copy):
    db = str(demo_copy)
    assert _cli("query", "kpi_overview", "--db", db).returncode == 0      # no users: local
    assert _cli("users", "add", "tinh", "--role", "admin", "--scope", "all",
                "--password-stdin", "--db", db, stdin="weak\n").returncode == 1
    for name, role, sc in [("tinh", "admin", "all"), ("phantich", "analyst", "all"),
                           ("xem", "viewer", A)]:
        p = _cli("users", "add", name, "--role", role, "--scope", sc, "--password-stdin",
                 "--db", db, stdin=PW + "\n")
        assert p.returncode == 0, p.stderr
    p = _cli("query", "kpi_overview", "--db", db)
    assert p.returncode == 2 and "--user" in p.stderr
    p = _cli("query", "coverage_by_unit", "--db", db, "--user", "xem")
    rows = pd.read_csv(io.StringIO(p.stdout), dtype={"unit_code": str})
    assert p.returncode == 0 and list(rows.unit_code) == [A]
    whole = pd.read_csv(io.StringIO(_cli("query", "coverage_by_unit", "--db", db, "--user",
                                         "tinh").stdout), dtype={"unit_code": str})
    assert len(whole) == 99
    assert _cli("sql", "SELECT 1", "--db", db, "--user", "xem").returncode == 1
    p = _cli("sql", "SELECT count(*) AS n FROM units", "--db", db, "--user", "phantich")
    assert p.returncode == 0 and p.stdout.split() == ["n", "1131"]
    p = _cli("import", "cells", str(DEMO / "cells.csv"), "--db", db, "--user", "xem",
             "--dry-run")
    assert p.returncode == 1 and "Cập nhật dữ liệu" in p.stderr
    assert _cli("users", "set-scope", "xem", B, "--db", db).returncode == 0
    assert _cli("users", "disable", "xem", "--db", db).returncode == 0
    assert _cli("query", "kpi_overview", "--db", db, "--user", "xem").returncode == 2
    listed = pd.read_csv(io.StringIO(_cli("users", "list", "--db", db).stdout))
    assert list(listed.username) == ["phantich", "tinh", "xem"]
    assert "password_hash" not in listed.columns


def test_serve_refuses_a_network_address_without_users(demo_copy):
    from dashboard.access.cli import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")
    p = _cli("serve", "--address", "0.0.0.0", "--db", str(demo_copy))
    assert p.returncode == 2 and "chưa có tài khoản" in p.stderr
    assert config.get("serve_address") == "127.0.0.1"
    assert 'address = "127.0.0.1"' in (ROOT / ".streamlit" / "config.toml").read_text()


def test_analytics_tables_are_rebuilt_inside_a_scoped_snapshot(tmp_path):
    """The precomputed tables are derived: a scoped snapshot rebuilds them from its own rows, or
    copies the base's rows of its communes when that is provably the same (province or commune
    scopes, tests/test_access_scale.py), so a scoped figure equals the reference definition on
    the scoped rows."""
    from dashboard.store import analytics

    assert analytics.TABLES and set(analytics.TABLES) == scope.DERIVED
