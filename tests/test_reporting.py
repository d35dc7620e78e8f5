"""The monthly reporting cycle on a hand-computed province.

  Tỉnh (24) — communes A 25111 (village 25111-01), B 25114, C 25117, D 25120, E 25123.
  Indicators ever reported: x, y (the expected set by default). Month 2026-10, due day 5
  → due 05/11/2026.
    A: x through its village and y, both in the batch of 05/11 (the due day) → complete, on time
    B: x on 03/11, y on 06/11 (one day after the due day) → complete, late by 1 day, batch 06/11
    C: only x on 03/11 → partial
    D: nothing → missing
    E: x, y on 04/11; y updated again on 20/11 (a later write does not move the arrival) → on time
  Reporting rate 3/5 = 60 %, on time 2/5 = 40 %. Month 2026-09: everyone complete on 02/10 but
  D (missing) → 80 % and 80 %.
"""
from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest

from dashboard import ingest, store
from dashboard.access.principal import LOCAL, Principal
from dashboard.reporting import approvals, comments, questions
from dashboard.reporting import completeness as rc
from dashboard.store import history, queries

A, B, C, D, E = "25111", "25114", "25117", "25120", "25123"
ADMIN = LOCAL
EDITOR = Principal("bien_tap", "editor", None)
VIEWER_A = Principal("xa_a", "viewer", (A,))
VIEWER_B = Principal("xa_b", "viewer", (B,))
ANALYST_A = Principal("phan_tich_a", "analyst", (A,))
ANALYST_B = Principal("phan_tich_b", "analyst", (B,))
PROVINCE = Principal("tinh", "analyst", ("24",))


def _csv(rows) -> bytes:
    df = pd.DataFrame(rows, columns=["Mã đơn vị", "Kỳ", "Chỉ số", "Giá trị"])
    return df.to_csv(index=False).encode("utf-8")


def _send(db, rows, when: dt.datetime, name="r.csv", created_by="xa") -> int:
    report = ingest.import_bytes(db, "indicators", _csv(rows), name, created_by=created_by)
    assert report.committed, report.summary_text()
    with db.transaction() as cur:
        cur.execute("UPDATE batches SET created_at = ? WHERE batch_id = ?",
                    [when, report.batch_id])
    return report.batch_id


@pytest.fixture
def db(tmp_path):
    d = store.Database(tmp_path / "r.duckdb")
    units = [("24", "Tỉnh Thử", "province", None, None)]
    units += [(c, f"Xã {n}", "commune", "24", 100) for c, n in zip((A, B, C, D, E), "ABCDE")]
    units += [(f"{A}-01", "Thôn Một", "village", A, 100)]
    with d.transaction() as cur:
        cur.executemany("INSERT INTO units (unit_code, unit_name, level, parent_code, "
                        "households) VALUES (?, ?, ?, ?, ?)", units)
    T = dt.datetime
    _send(d, [(c, "2026-09", i, 1) for c in (A, B, C, E) for i in "xy"], T(2026, 10, 2, 8))
    d.batch_sep = {
        "a": _send(d, [(f"{A}-01", "2026-10", "x", 3), (A, "2026-10", "y", 4)],
                   T(2026, 11, 5, 16, 30)),
        "b1": _send(d, [(B, "2026-10", "x", 1), (C, "2026-10", "x", 2)], T(2026, 11, 3, 9)),
        "b2": _send(d, [(B, "2026-10", "y", 1)], T(2026, 11, 6, 8)),
        "e": _send(d, [(E, "2026-10", "x", 1), (E, "2026-10", "y", 1)], T(2026, 11, 4, 10)),
        "e2": _send(d, [(E, "2026-10", "y", 9)], T(2026, 11, 20, 10)),
    }
    yield d
    d.close()


def _by_commune(df):
    return df.set_index("commune_code")


# --- completeness and on time -------------------------------------------------------------

def test_hand_computed_month(db):
    s = _by_commune(rc.status(db, "2026-10"))
    assert s.status.to_dict() == {A: "complete", B: "complete", C: "partial", D: "missing",
                                  E: "complete"}
    assert s.received.to_dict() == {A: 2, B: 2, C: 1, D: 0, E: 2}
    assert (s.expected == 2).all()
    assert str(s.due_on[A])[:10] == "2026-11-05"
    assert bool(s.on_time[A]) is True and s.days_late[A] == 0          # on the due day
    assert bool(s.on_time[B]) is False and s.days_late[B] == 1         # the day after
    assert bool(s.on_time[E]) is True and s.batch_id[E] == db.batch_sep["e"]
    assert s.batch_id[B] == db.batch_sep["b2"] and str(s.reported_at[B])[:10] == "2026-11-06"
    assert pd.isna(s.on_time[C]) and pd.isna(s.on_time[D])
    assert s.missing_indicators[C] == "y" and s.missing_indicators[D] == "x, y"
    assert s.last_reported_period[D] is None or pd.isna(s.last_reported_period[D])
    assert s.contact_unit[A] == "UBND xã A"
    summ = rc.summary(s.reset_index())
    assert (summ["complete"], summ["partial"], summ["missing"], summ["on_time"],
            summ["late"]) == (3, 1, 1, 2, 1)
    assert summ["reporting_rate"] == 60.0 and summ["on_time_rate"] == 40.0


def test_rates_per_month_and_commune(db):
    m = queries.run(db, "reporting_rate_by_month", start_period="2026-09",
                    end_period="2026-10").set_index("period")
    assert m.loc["2026-09", ["communes", "complete", "missing", "on_time"]].tolist() == [5, 4, 1, 4]
    assert m.loc["2026-09", "reporting_rate"] == 80.0 and m.loc["2026-09", "on_time_rate"] == 80.0
    assert m.loc["2026-10", "reporting_rate"] == 60.0 and m.loc["2026-10", "on_time_rate"] == 40.0
    c = _by_commune(rc.by_commune(db, "2026-10", months=2))
    assert c.loc[B, ["months", "complete", "on_time"]].tolist() == [2, 2, 1]
    assert c.loc[B, "reporting_rate"] == 100.0 and c.loc[B, "on_time_rate"] == 50.0
    assert c.loc[D, "reporting_rate"] == 0.0 and pd.isna(c.loc[D, "last_complete_period"])


def test_due_day_is_a_setting(db, monkeypatch):
    monkeypatch.setenv("DASHBOARD_REPORT_DUE_DAY", "6")
    s = _by_commune(rc.status(db, "2026-10"))
    assert bool(s.on_time[B]) is True and str(s.due_on[B])[:10] == "2026-11-06"
    monkeypatch.setenv("DASHBOARD_REPORT_DUE_DAY", "4")
    s = _by_commune(rc.status(db, "2026-10"))
    assert bool(s.on_time[A]) is False and bool(s.on_time[E]) is True


def test_expected_set_is_configurable_per_province(db):
    assert rc.expected_indicators(db, "24") == (["x", "y"], False)
    rc.set_expected(db, "24", ["x"], ADMIN)
    s = _by_commune(rc.status(db, "2026-10"))
    assert s.status[C] == "complete" and (s.expected == 1).all()
    rc.set_expected(db, "24", ["x", "y", "z"], ADMIN)
    s = _by_commune(rc.status(db, "2026-10"))
    assert s.status[A] == "partial" and s.missing_indicators[A] == "z"
    rc.set_expected(db, "24", [], ADMIN)                     # back to the default
    assert rc.expected_indicators(db, "24") == (["x", "y"], False)
    with pytest.raises(rc.SettingsError):
        rc.set_expected(db, "24", ["x"], EDITOR)


def test_reminder_list_and_scope(db):
    remind = rc.reminder_list(rc.status(db, "2026-10"))
    assert remind["Mã xã"].tolist() == [D, C]
    assert remind["Đơn vị liên hệ"].tolist() == ["UBND xã D", "UBND xã C"]
    rc.set_contact(db, D, "Văn phòng UBND xã D", "Chị Lan", "0912 000 000", principal=ADMIN)
    row = rc.reminder_list(rc.status(db, "2026-10")).iloc[0]
    assert (row["Đơn vị liên hệ"], row["Người liên hệ"]) == ("Văn phòng UBND xã D", "Chị Lan")
    assert rc.status(db, "2026-10", VIEWER_A).commune_code.tolist() == [A]
    assert rc.status(db, "2026-10", Principal("x", "viewer", ())).empty
    assert len(rc.status(db, "2026-10", PROVINCE)) == 5


def test_registry_last_update(db):
    r = _by_commune(rc.registry_updates(db))
    assert str(r.indicators_updated_at[E])[:10] == "2026-11-20"
    assert str(r.indicators_updated_at[A])[:10] == "2026-11-05"      # its village's row too
    assert pd.isna(r.indicators_updated_at[D]) and r.cells[D] == 0


# --- approval and lock ------------------------------------------------------------------------

TABLES_SKIPPED = {"audit_log"}


def _all_tables(db) -> dict[str, pd.DataFrame]:
    names = db.df("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
                  " AND table_type = 'BASE TABLE'")["table_name"]
    return {t: history.table_snapshot(db, t) for t in names if t not in TABLES_SKIPPED}


def _same(before, after):
    assert before.keys() == after.keys()
    for t in before:
        pd.testing.assert_frame_equal(before[t], after[t], obj=t)


def test_lock_refuses_upload_and_undo_until_unlocked(db):
    aid = approvals.approve(db, "2026-10", A, EDITOR, "đã kiểm tra")
    before = _all_tables(db)
    audits = db.table_count("audit_log")
    with pytest.raises(approvals.PeriodLocked) as exc:
        ingest.import_bytes(db, "indicators", _csv([(A, "2026-10", "y", 5), (B, "2026-10", "x", 7)]),
                            "sua.csv", created_by="xa_a")
    msg = str(exc.value)
    assert "25111 · 10/2026 · y" in msg and "Xã A (25111)" in msg and "mở khóa" in msg
    assert "25114" not in msg                       # B's month is not locked
    assert exc.value.rows[["unit_code", "period", "indicator"]].values.tolist() == [
        [A, "2026-10", "y"]]
    _same(before, _all_tables(db))
    refused = db.df("SELECT * FROM audit_log WHERE action = 'lock_refused'")
    assert len(refused) == 1 and refused.username[0] == "xa_a"
    assert db.table_count("audit_log") == audits + 1
    # the village's row is the commune's row too
    with pytest.raises(approvals.PeriodLocked, match="25111-01"):
        ingest.import_bytes(db, "indicators", _csv([(f"{A}-01", "2026-10", "x", 8)]), "v.csv")
    # an undo that would change A's October rows is refused the same way
    with pytest.raises(approvals.PeriodLocked) as exc:
        history.rollback(db, db.batch_sep["a"])
    assert isinstance(exc.value, history.RollbackError)
    assert "hoàn tác" in str(exc.value) and "25111-01 · 10/2026 · x" in str(exc.value)
    _same(before, _all_tables(db))
    # other months and other communes still change
    ok = ingest.import_bytes(db, "indicators", _csv([(A, "2026-09", "y", 5),
                                                     (B, "2026-10", "x", 7)]), "ok.csv")
    assert ok.committed and ok.updated == 2
    # only an admin unlocks, and only with a reason
    with pytest.raises(approvals.ApprovalError):
        approvals.unlock(db, aid, "sai số liệu", EDITOR)
    with pytest.raises(approvals.ApprovalError, match="lý do"):
        approvals.unlock(db, aid, "  ", ADMIN)
    approvals.unlock(db, aid, "Xã A báo sai số vụ việc", ADMIN)
    history.rollback(db, db.batch_sep["a"])
    assert db.scalar(f"SELECT count(*) FROM indicators WHERE unit_code IN ('{A}', '{A}-01') "
                     "AND period = '2026-10'") == 0
    log = db.df("SELECT action, username, detail FROM audit_log ORDER BY happened_at")
    assert {"approve", "unlock", "lock_refused"} <= set(log.action)
    assert "Xã A báo sai số vụ việc" in " ".join(log.detail)


def test_province_approval_locks_every_commune_and_the_footer(db):
    assert approvals.footer_text(db) == ""
    approvals.approve(db, "2026-09", A, EDITOR)
    assert approvals.footer_text(db) == ""                 # not every commune approved
    assert approvals.footer_text(db, [A]) == "Số liệu đã duyệt đến tháng 09/2026"
    approvals.approve(db, "2026-10", "24", EDITOR)
    assert approvals.footer_text(db) == "Số liệu đã duyệt đến tháng 10/2026"
    assert approvals.footer_text(db, principal=VIEWER_B) == "Số liệu đã duyệt đến tháng 10/2026"
    s = _by_commune(rc.status(db, "2026-10"))
    assert s.approved.all()
    with pytest.raises(approvals.PeriodLocked, match="Xã D"):
        ingest.import_bytes(db, "indicators", _csv([(D, "2026-10", "x", 1)]), "d.csv")
    with pytest.raises(approvals.ApprovalError, match="đã được duyệt"):
        approvals.approve(db, "2026-10", "24", EDITOR)
    with pytest.raises(approvals.ApprovalError, match="quyền"):
        approvals.approve(db, "2026-10", A, VIEWER_A)
    with pytest.raises(approvals.ApprovalError, match="phạm vi"):
        approvals.approve(db, "2026-10", B, Principal("e_a", "editor", (A,)))


def test_slide_footer_says_how_far_data_is_approved(db):
    from dashboard.output import slides

    assert "đã duyệt" not in slides.context(db, {"as_of": "2026-11-30"}).footer
    approvals.approve(db, "2026-10", "24", EDITOR)
    assert "Số liệu đã duyệt đến tháng 10/2026" in slides.context(db, {"as_of": "2026-11-30"}).footer


# --- comments -----------------------------------------------------------------------------

def _one_empty(df: pd.DataFrame) -> pd.DataFrame:
    """Missing values as None whatever the column's dtype (NaN, NaT, <NA>)."""
    return df.astype(object).where(df.notna(), None)


def test_comments_are_scoped_like_the_data(db):
    a = comments.add(db, VIEWER_A, "bao-cao", "rp_status", "Xã A gửi muộn vì *mất điện*",
                     "rp_month=2026-10", None)
    p = comments.add(db, ADMIN, "bao-cao", "rp_status", "Toàn tỉnh: nhắc xã D", "", None)
    chosen = comments.add(db, ADMIN, "bao-cao", "rp_status", "Riêng xã B", "communes=25114",
                          [B])
    assert comments.get(db, ADMIN, a)["communes"] == [A]
    assert comments.get(db, ADMIN, p)["communes"] is None
    seen = {pr.username: set(comments.feed(db, pr).comment_id) for pr in
            (ADMIN, VIEWER_A, VIEWER_B, PROVINCE)}
    assert seen == {"local": {a, p, chosen}, "xa_a": {a}, "xa_b": {chosen},
                    "tinh": {a, p, chosen}}
    assert comments.for_figure(db, VIEWER_B, "bao-cao", "rp_status").comment_id.tolist() == [
        chosen]
    # a reply is about what its comment is about; B cannot reply to what it cannot see
    r = comments.add(db, ADMIN, "", "", "Đã gọi điện cho xã", parent_id=a)
    other = comments.add(db, ADMIN, "bao-cao", "rp_remind", "Hình khác", "", None)
    # a page asks once (for_page) and gives each figure its own: the same rows as for_figure
    for pr in (ADMIN, VIEWER_A, VIEWER_B, PROVINCE):
        on_page = comments.for_page(db, pr, "bao-cao")
        for key in ("rp_status", "rp_remind", "nothing"):
            mine = on_page[on_page.figure_key == key].reset_index(drop=True)
            want = comments.for_figure(db, pr, "bao-cao", key)
            assert mine.comment_id.tolist() == want.comment_id.tolist(), (pr, key)
            pd.testing.assert_frame_equal(_one_empty(mine), _one_empty(want), check_dtype=False)
    assert other in set(comments.for_page(db, ADMIN, "bao-cao").comment_id)
    assert comments.for_page(db, ADMIN, "tong-quan").empty
    assert comments.get(db, VIEWER_A, r)["communes"] == [A]
    assert comments.get(db, VIEWER_B, r) is None
    with pytest.raises(comments.CommentError):
        comments.add(db, VIEWER_B, "", "", "xem trộm", parent_id=a)
    # the text is kept exactly as written (never interpreted)
    assert comments.get(db, ADMIN, a)["body"] == "Xã A gửi muộn vì *mất điện*"
    # resolve: the author or an approver
    with pytest.raises(comments.CommentError):
        comments.resolve(db, Principal("xa_a2", "viewer", (A,)), a)
    comments.resolve(db, VIEWER_A, a)
    assert a not in set(comments.feed(db, ADMIN, include_resolved=False).comment_id)
    comments.resolve(db, EDITOR, a, resolved=False)
    assert a in set(comments.feed(db, ADMIN, include_resolved=False).comment_id)
    with pytest.raises(comments.CommentError):
        comments.add(db, VIEWER_A, "p", "f", "   ")
    with pytest.raises(comments.CommentError):
        comments.add(db, VIEWER_A, "p", "f", "x" * 1001)
    assert comments.add(db, VIEWER_A, "p", "f", "x" * 1000)
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'comment'") >= 6


def test_comment_goes_into_the_pptx_notes(db):
    from pptx import Presentation

    from dashboard.output import pack, slides

    comments.add(db, ADMIN, "tong-quan", "cov_table", "Độ phủ <b>thấp</b> ở xã D — cần bổ sung",
                 in_pack=True, slide_key="coverage")
    comments.add(db, VIEWER_A, "tong-quan", "cov_table", "Chỉ của xã A", in_pack=True,
                 slide_key="kpis")
    comments.add(db, ADMIN, "tong-quan", "growth", "Không đưa vào", in_pack=False)
    deck = slides.build(db, {"as_of": "2026-11-30"})
    noted = comments.with_pack_notes(db, deck, ADMIN)
    assert [s.notes for s in deck] != [s.notes for s in noted]
    prs = Presentation(io.BytesIO(pack.pptx_bytes(noted)))
    notes = {i: s.notes_slide.notes_text_frame.text for i, s in enumerate(prs.slides)}
    keys = [s.key for s in noted]
    assert "Độ phủ <b>thấp</b> ở xã D — cần bổ sung" in notes[keys.index("coverage")]
    assert "Chỉ của xã A" in notes[keys.index("kpis")]
    assert not any("Không đưa vào" in n for n in notes.values())
    # a deck for commune B carries neither the province comment nor commune A's
    only_b = comments.with_pack_notes(db, deck, ADMIN, [B])
    assert [s.notes for s in only_b] == [s.notes for s in deck]
    # the presentation page adds the notes to the one slide it draws: the same notes
    notes = comments.pack_notes(db, ADMIN)
    placed = comments.place_pack_notes(notes, keys)
    assert [comments.with_notes(s, placed.get(s.key)).notes for s in deck] == \
        [s.notes for s in noted]
    # a comment for a slide the deck lacks goes on the first slide
    moved = comments.place_pack_notes({"gone": ["• x"], "kpis": ["• y"]}, ["title", "kpis"])
    assert moved == {"title": ["• x"], "kpis": ["• y"]}
    assert comments.with_notes(deck[0], None) is deck[0]


# --- saved questions ------------------------------------------------------------------------

SQL = "SELECT level, count(*) AS n FROM units WHERE $as_of IS NOT NULL GROUP BY level ORDER BY 1"


def test_saved_questions_are_found_in_scope_and_rerun_read_only(db):
    qa = questions.save(db, ANALYST_A, "Đơn vị theo cấp (A)", SQL, "đếm",
                        {"as_of": dt.date(2026, 10, 31)})
    qp = questions.save(db, ADMIN, "Đơn vị theo cấp", SQL, "toàn tỉnh",
                        {"as_of": dt.date(2026, 10, 31)}, on_overview=True, display="bar")
    found = {pr.username: set(questions.find(db, pr).question_id)
             for pr in (ADMIN, ANALYST_A, ANALYST_B, PROVINCE)}
    assert found == {"local": {qa, qp}, "phan_tich_a": {qa, qp}, "phan_tich_b": {qp},
                     "tinh": {qa, qp}}
    with pytest.raises(questions.QuestionError):
        questions.get(db, ANALYST_B, qa)
    assert questions.find(db, ADMIN, "don vi theo cap (a)").question_id.tolist() == [qa]
    assert questions.find(db, ADMIN, on_overview=True).question_id.tolist() == [qp]
    res = questions.run(db, ADMIN, qp)
    assert dict(zip(res.df.level, res.df.n)) == {"commune": 5, "province": 1, "village": 1}
    assert questions.chart(res.df, "bar") is not None
    # a scoped colleague never gets unscoped data
    if "principal" not in questions.inspect.signature(
            questions.sandbox_for_database()).parameters:
        with pytest.raises(questions.QuestionError, match="phạm vi"):
            questions.run(db, ANALYST_A, qa)
    with pytest.raises(questions.QuestionError):
        questions.save(db, ANALYST_A, "xóa", "DELETE FROM units")
    with pytest.raises(questions.QuestionError):
        questions.save(db, VIEWER_A, "không quyền", SQL)
    with pytest.raises(questions.QuestionError):
        questions.save(db, ANALYST_A, "  ", SQL)
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'save_question'") == 2



def test_saved_question_pinned_and_deleted(db):
    qid = questions.save(db, ANALYST_A, "Đơn vị theo cấp", SQL)
    questions.set_overview(db, ANALYST_A, qid, True, "line")
    q = questions.get(db, PROVINCE, qid)
    assert bool(q["on_overview"]) and q["display"] == "line"
    with pytest.raises(questions.QuestionError):
        questions.set_overview(db, VIEWER_A, qid, False)
    with pytest.raises(questions.QuestionError):
        questions.delete(db, Principal("khac", "analyst", (A,)), qid)
    questions.delete(db, ANALYST_A, qid)
    assert questions.find(db, ADMIN).empty


def test_not_due_until_the_due_day_has_passed():
    due = dt.date(2026, 12, 5)
    assert rc.not_due(due, dt.date(2026, 12, 5)) is True
    assert rc.not_due(due, dt.date(2026, 12, 6)) is False


# --- faster paths give the same figures -----------------------------------------------------

OLD_ARRIVED = """, arrived AS (        -- each expected indicator of a commune and month, when it first arrived
    SELECT r.commune_code, i.period, i.indicator,
           min(b.created_at) AS arrived_at, arg_min(b.batch_id, b.created_at) AS batch_id
    FROM indicators i
    JOIN reporters r USING (unit_code)
    JOIN communes c ON c.commune_code = r.commune_code
    JOIN expected e ON e.province_code = c.province_code AND e.indicator = i.indicator"""


def _old_status_macro() -> str:
    """reporting_status as written before `rows_in` was materialized (the reference)."""
    from dashboard.reporting import schema

    new = schema.STATUS_MACRO
    start = new.index(", rows_in AS MATERIALIZED (")
    end = new.index("    LEFT JOIN first_write fw")
    old = new[:start] + OLD_ARRIVED + "\n" + new[end:]
    return old.replace("MACRO reporting_status(", "MACRO reporting_status_old(")


def test_status_macro_matches_its_unmaterialized_form(db):
    import random

    db.con.execute(_old_status_macro())
    rng = random.Random(14)

    def same(first, last, due):
        order = "ORDER BY commune_code, period"
        new = db.df(f"SELECT * FROM reporting_status(?, ?, ?) {order}", [first, last, due])
        old = db.df(f"SELECT * FROM reporting_status_old(?, ?, ?) {order}", [first, last, due])
        assert len(new) and new.equals(old), (first, last, due)
    months = ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
    for _ in range(8):
        a, b = sorted(rng.sample(range(len(months)), 2))
        same(months[a], months[b], rng.choice([1, 5, 15, 31]))
    for m in months:                                  # single months, both sides of the data
        same(m, m, 15)
    rc.set_expected(db, "24", ["x"], ADMIN)           # a configured expected set
    approvals.approve(db, "2026-10", A, ADMIN)
    same("2026-09", "2026-10", 15)
    same("2026-10", "2026-10", 4)


def _nulls_as_none(df: pd.DataFrame) -> pd.DataFrame:
    return df.astype(object).where(df.notna(), None)


def test_commune_pick_filters_the_whole_month_like_the_query(db):
    """The page narrows the month's status of the whole scope instead of querying again:
    the same rows, order, summary and shown tables."""
    principals = [ADMIN, VIEWER_A, PROVINCE, Principal("x", "viewer", ())]
    picks = [[A], [B, D], [E, A, C], ["99999"], [A, "99999"]]
    for period in ("2026-09", "2026-10", "2026-11"):
        for who in principals:
            whole = rc.status(db, period, who, None)
            for pick in picks:
                got = rc.within(whole, rc.narrow(db, who, pick))
                want = rc.status(db, period, who, pick)
                # same values; a text column the query returns all NULL comes back as None
                # (object) where the filtered frame keeps its string dtype's NaN
                pd.testing.assert_frame_equal(_nulls_as_none(got), _nulls_as_none(want))
                assert rc.summary(got) == rc.summary(want)
                for view in (rc.status_table, rc.reminder_list):
                    pd.testing.assert_frame_equal(view(got), view(want), check_dtype=False)
    assert rc.within(whole, None) is whole


def test_reporting_version_follows_approvals_expected_and_contacts(db):
    seen = {rc.version(db)}
    approvals.approve(db, "2026-10", A, ADMIN)
    seen.add(rc.version(db))
    rc.set_expected(db, "24", ["x"], ADMIN)
    seen.add(rc.version(db))
    rc.set_expected(db, "24", ["y"], ADMIN)                # same count, other indicator
    seen.add(rc.version(db))
    rc.set_contact(db, D, "Văn phòng UBND xã D", principal=ADMIN)
    seen.add(rc.version(db))
    rc.set_contact(db, D, "Văn phòng Đảng ủy xã D", principal=ADMIN)
    seen.add(rc.version(db))
    assert len(seen) == 6
    assert rc.version(db) == rc.version(db)
