"""Each role, logged in through the app's login page (AppTest), walks the pages: nothing from
outside the scope appears (names checked against the data), and every forbidden action is
refused or absent. The demo with a viewer scoped to commune 07774 (Phường Tự Lạn)."""
from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest
from conftest import APP

from dashboard import store
from dashboard.access import users
from dashboard.web import navigation

os.environ.setdefault("DASHBOARD_ARGON2_MEMORY_KIB", "1024")
A = "07774"
PW = "Mat-khau-2026"
ACCOUNTS = [("tinh", "admin", None), ("phantich", "analyst", None), ("xem", "viewer", (A,)),
            ("trinhbay", "presenter", (A,)), ("soan", "editor", (A,)),
            ("khongco", "viewer", ())]
TEXT_ELEMENTS = ("title", "header", "subheader", "markdown", "caption", "info", "warning",
                 "error", "success", "metric", "text")


@pytest.fixture(scope="module")
def access_db(demo_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("pages") / "demo.duckdb"
    shutil.copy(demo_db, path)
    db = store.Database(path)
    for name, role, sc in ACCOUNTS:
        users.add_user(db, name, PW, role, sc)
    outside = set(db.df("SELECT unit_name FROM units WHERE level = 'commune' AND unit_code <> ?",
                        [A]).unit_name)
    inside_text = " ".join(db.df("SELECT unit_name FROM units WHERE unit_code = ? OR "
                                 "parent_code = ?", [A, A]).unit_name)
    db.con.execute("CHECKPOINT")
    db.close()
    store.close_db(path)
    # names that could appear inside an in-scope name are not evidence of a leak
    yield path, {n for n in outside if n not in inside_text}


def login(path, monkeypatch, name):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DASHBOARD_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert [t.value for t in at.title] == ["Đăng nhập"]
    at.text_input(key="login_user").input(name)
    at.text_input(key="login_password").input(PW)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def visit(at, file, **params):
    at.switch_page(f"../pages/{file}")
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, (file, at.exception)
    return at


def texts(at) -> str:
    out = []
    for kind in TEXT_ELEMENTS:
        for el in at.get(kind):
            out.append(str(getattr(el, "value", "")) + " " + str(getattr(el, "label", "")))
    for df in at.dataframe:
        out.append(df.value.to_csv())
    for t in at.table:
        out.append(pd.DataFrame(t.value).to_csv())
    for sb in list(at.selectbox) + list(at.multiselect):
        out.append(" ".join(map(str, sb.options)))
    return "\n".join(out)


def test_anonymous_gets_only_the_login_page(access_db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    path, _ = access_db
    monkeypatch.setenv("DASHBOARD_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    for file, _, _ in navigation.built():       # no page script is even registered
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"../pages/{file}")
    assert [t.value for t in at.title] == ["Đăng nhập"]
    assert "Tự Lạn" not in texts(at)
    at.text_input(key="login_user").input("xem")
    at.text_input(key="login_password").input("sai-mat-khau-1A")
    at.button[0].click().run()
    assert [t.value for t in at.title] == ["Đăng nhập"]
    assert any("không đúng" in e.value for e in at.error)


def test_viewer_walks_every_page_and_sees_only_the_scope(access_db, monkeypatch):
    path, outside = access_db
    at = login(path, monkeypatch, "xem")
    assert any("Đăng nhập: **xem**" in c.value for c in at.sidebar.caption)
    allowed = [f for f, _, _ in navigation.built() if f not in navigation.REQUIRES]
    for file in allowed:
        params = {"commune": A} if file == "commune.py" else {}
        visit(at, file, **params)
        shown = texts(at)
        leaked = sorted(n for n in outside if n in shown)
        assert leaked == [], (file, leaked[:5])
        assert not at.get("download_button") or file == "data.py", file   # viewers: no exports
    # the commune filter offers only the scope
    assert [o.split(" · ")[0] for o in at.sidebar.multiselect(key="f_communes").options] == \
        [f"Phường Tự Lạn ({A})"]       # the label also carries the name without diacritics
    # another commune's profile, the SQL explorer and the admin page: refused
    visit(at, "commune.py", commune="07696")
    assert "Tiền Phong" not in texts(at)
    for file in ("sql.py", "admin.py"):           # not even registered for a viewer
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"../pages/{file}")
    visit(at, "data.py")
    assert any("cần vai trò" in i.value for i in at.info)          # no upload for viewers


def test_empty_scope_sees_nothing(access_db, monkeypatch):
    path, outside = access_db
    at = login(path, monkeypatch, "khongco")
    visit(at, "overview.py")
    assert not [n for n in outside if n in texts(at)]
    assert at.sidebar.multiselect(key="f_communes").options == []


def test_presenter_exports_but_cannot_upload_or_query(access_db, monkeypatch):
    path, outside = access_db
    at = login(path, monkeypatch, "trinhbay")
    visit(at, "coverage.py")
    assert at.get("download_button")
    visit(at, "present.py")
    labels = [b.proto.label for b in at.get("download_button")]
    assert "PowerPoint" in labels and "PDF" in labels
    assert not [n for n in outside if n in texts(at)]
    visit(at, "data.py")
    assert any("cần vai trò" in i.value for i in at.info)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("../pages/sql.py")


def test_analyst_queries_the_whole_data_but_not_accounts(access_db, monkeypatch):
    path, _ = access_db
    at = login(path, monkeypatch, "phantich")
    visit(at, "sql.py")
    at.text_area(key="sql_text").input("SELECT count(*) AS n FROM units").run()
    at.button(key="sql_run").click().run()
    assert at.dataframe[-1].value["n"].tolist() == [1131]
    at.text_area(key="sql_text").input("SELECT * FROM app_users").run()
    at.button(key="sql_run").click().run()
    assert any("app_users" in e.value for e in at.error)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("../pages/admin.py")


def test_editor_sees_upload_and_only_batches_in_scope(access_db, monkeypatch):
    path, _ = access_db
    at = login(path, monkeypatch, "soan")
    visit(at, "data.py", muc="Lịch sử nhập")
    assert at.selectbox(key="data_dataset")
    assert any("Chưa có lần nhập nào" in i.value for i in at.info)    # demo batches: province


def test_admin_manages_users_and_reads_the_audit(access_db, monkeypatch):
    path, _ = access_db
    at = login(path, monkeypatch, "tinh")
    visit(at, "admin.py")
    assert [t.value for t in at.title] == ["Quản trị"]
    names = at.dataframe[0].value["username"].tolist()
    assert names == sorted(n for n, _, _ in ACCOUNTS)
    log = at.dataframe[-1].value
    assert {"tinh", "xem"} <= set(log["Người dùng"]) and "Đăng nhập" in set(log["Hành động"])
