"""The reporting cycle on the demo: its gaps and late reports, the CLI, the page (AppTest),
comments under a figure and saved questions in the app."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_page

from dashboard import store
from dashboard.reporting import approvals, comments, questions
from dashboard.reporting import completeness as rc

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(demo_copy, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    return demo_copy


def cli(*args):
    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT,
                          capture_output=True, text=True)


def test_demo_has_gaps_late_and_partial_reports(demo_db):
    db = store.Database(demo_db, read_only=True)
    try:
        s = rc.summary(rc.status(db, "2026-10"))
        months = rc.by_month(db, "2026-10")
        batches = db.df("SELECT created_at FROM batches WHERE dataset = 'indicators'")
    finally:
        db.close()
    assert s["communes"] == 99
    assert s["missing"] > 0 and s["partial"] > 0 and s["late"] > 0 and s["on_time"] > 0
    assert s["complete"] == s["on_time"] + s["late"]
    assert len(months) == 12 and (months.reporting_rate < 100).all()
    assert months.on_time_rate.min() < months.reporting_rate.min()
    # the reports arrived over many days, not in one import
    assert batches.created_at.dt.date.nunique() > 24


def test_cli_lists_completeness(demo_copy):
    """A private copy: another test of this process may hold the shared demo file."""
    r = cli("query", "reporting_completeness", "--param", "period=2026-10", "--db", str(demo_copy))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("period,commune_code,commune_name,province_code,expected,received,"
                               "status,")
    assert len(lines) == 100 and ",missing," in r.stdout and ",complete," in r.stdout
    same = cli("query", "reporting_completeness", "--param", "period=10/2026", "--db",
               str(demo_copy), "--format", "json")
    assert same.returncode == 0 and '"period": "2026-10"' in same.stdout.replace('":"', '": "')
    bad = cli("query", "reporting_completeness", "--param", "period=13/2026", "--db",
              str(demo_copy))
    assert bad.returncode == 2 and "kỳ tháng" in bad.stderr


def test_cli_import_into_a_locked_month_exits_1(demo_copy, tmp_path):
    db = store.Database(demo_copy)
    approvals.approve(db, "2026-10", "24")
    code = db.scalar("SELECT unit_code FROM indicators WHERE period = '2026-10' LIMIT 1")
    db.close()
    f = tmp_path / "sua.csv"
    f.write_text(f"Mã đơn vị,Kỳ,Chỉ số,Giá trị\n{code},10/2026,antt_incidents,99\n",
                 encoding="utf-8")
    r = cli("import", "indicators", str(f), "--db", str(demo_copy))
    assert r.returncode == 1, r.stderr + r.stdout
    assert "đã được duyệt và khóa" in r.stderr and f"{code} · 10/2026 · antt_incidents" in r.stderr
    assert "Traceback" not in r.stderr


def test_page_shows_status_approves_and_comments(env):
    at = run_page("../pages/reporting.py", rp_month="2026-10", rp_tab="Duyệt số liệu")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Xã phải báo cáo"] == "99"
    assert "chưa có tháng nào được duyệt" in " ".join(c.value for c in at.caption)
    at.radio(key="rp_appr_level").set_value("province").run()
    at.button(key="rp_approve").click().run()
    assert not at.exception and [s.value for s in at.success] == [
        "Đã duyệt và khóa số liệu tháng này."]
    at = run_page("../pages/reporting.py", rp_month="2026-09", rp_tab="Theo xã")
    captions = " ".join(c.value for c in at.caption)
    assert "Số liệu đã duyệt đến tháng 10/2026" in captions
    # a comment under the status table, with markdown characters kept as text; the box's
    # form is built once it is opened
    assert "cm_text_rp_status" not in [t.key for t in at.text_area]
    at.session_state["cm_open_rp_status"] = True
    at.run()
    at.text_area(key="cm_text_rp_status").set_value("Nhắc **4 xã** <i>chưa gửi</i>")
    at.checkbox(key="cm_pack_rp_status").check()
    at.button(key="FormSubmitter:cm_new_rp_status-Gửi bình luận").click().run()
    assert not at.exception
    assert "Bình luận (1, 1 chưa xử lý)" in [e.label for e in at.expander]
    at.session_state["cm_open_rp_status"] = True        # the box with its new count, opened
    at.run()
    assert "Nhắc **4 xã** <i>chưa gửi</i>" in [t.value for t in at.text]
    db = store.Database(env, read_only=True)
    try:
        c = comments.feed(db, comments.LOCAL)
        assert c.body.tolist() == ["Nhắc **4 xã** <i>chưa gửi</i>"]
        assert c.page[0] == "bao-cao" and "rp_month=2026-09" in c.view_query[0]
        assert bool(c.in_pack[0]) and c.slide_key[0] == "kpis"
    finally:
        db.close()


@pytest.mark.parametrize("tab", ["Chưa báo cáo", "Theo tháng", "Bản đồ", "Bình luận",
                                 "Sổ đăng ký", "Cài đặt"])
def test_every_tab_builds(env, tab):
    at = run_page("../pages/reporting.py", rp_month="2026-10", rp_tab=tab)
    assert not at.exception and not at.error
    text = " ".join([m.value for m in at.markdown] + [c.value for c in at.caption]
                    + [e.label for e in at.expander])
    expect = {"Chưa báo cáo": "xã chưa báo cáo đủ tháng 10/2026",
              "Theo tháng": "reporting_rate_by_month", "Bản đồ": "reporting_rate_by_commune",
              "Bình luận": "", "Sổ đăng ký": "registry_last_update",
              "Cài đặt": "Chỉ số phải báo cáo hằng tháng"}[tab]
    assert expect.lower() in text.lower(), text[:1500]


def test_saved_question_on_the_overview_and_the_sql_page(env):
    db = store.Database(env)
    qid = questions.save(db, questions.LOCAL, "Số thôn theo xã",
                         "SELECT parent_code AS xa, count(*) AS so_thon FROM units "
                         "WHERE level = 'village' GROUP BY 1 ORDER BY 2 DESC LIMIT 5",
                         "Năm xã nhiều thôn nhất", on_overview=True, display="bar")
    db.close()
    at = run_page("../pages/overview.py")
    assert not at.exception
    assert "**Số thôn theo xã**" in [m.value for m in at.markdown]
    at = run_page("../pages/sql.py")
    assert not at.exception
    assert at.selectbox(key="sq_pick").value == qid
    at.button(key="sq_run").click().run()
    assert not at.exception
    assert len(at.dataframe[-1].value) == 5
