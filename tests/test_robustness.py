"""Robustness: a killed commit leaves the data as before; concurrent imports never interleave;
bad files get clear messages."""
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from dashboard import ingest, store
from dashboard.ingest import annotate
from dashboard.store import history

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys, time
from pathlib import Path
from dashboard import ingest, store
from dashboard.ingest import commit
marker = Path(sys.argv[3])
real = commit.to_json_row
def slow(row):   # called inside the commit's transaction, after the rows were written
    if not marker.exists():
        marker.write_text("in commit")
        time.sleep(60)
    return real(row)
commit.to_json_row = slow
db = store.Database(sys.argv[1])
r = ingest.import_file(db, "indicators", sys.argv[2])
print("COMMITTED", r.committed)
"""


def _big_indicators(path: Path) -> int:
    units = pd.read_csv(ROOT / "dashboard/demo/files/units.csv", dtype=str, keep_default_na=False)
    communes = list(units[units["Cấp"].isin(["Xã", "Phường"])]["Mã đơn vị"])
    rows = [(c, f"{y}-{m:02d}", ind, (y * m) % 17)
            for c in communes for y in range(2005, 2020) for m in range(1, 13)
            for ind in ("feedback_received", "feedback_resolved", "antt_incidents")]
    pd.DataFrame(rows, columns=["Mã đơn vị", "Kỳ", "Chỉ số", "Giá trị"]).to_csv(path,
                                                                               index=False)
    return len(rows)


def test_kill_during_commit_leaves_data_as_before(demo_copy, tmp_path):
    big = tmp_path / "big.csv"
    n = _big_indicators(big)
    assert n > 50_000
    db = store.Database(demo_copy)
    before = history.table_snapshot(db, "indicators")
    batches_before = db.table_count("batches")
    db.close()
    marker = tmp_path / "marker"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    proc = subprocess.Popen([sys.executable, str(script), str(demo_copy), str(big),
                             str(marker)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = time.time() + 240
    while not marker.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert marker.exists(), proc.stdout.read().decode()[-2000:]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    out = proc.stdout.read().decode()
    assert "COMMITTED" not in out
    db = store.Database(demo_copy)
    pd.testing.assert_frame_equal(history.table_snapshot(db, "indicators"), before)
    assert db.table_count("batches") == batches_before
    # and the database still takes the same import afterwards
    r = ingest.import_file(db, "indicators", big)
    assert r.committed and r.new == n
    db.close()


def test_concurrent_imports_never_interleave(demo_copy):
    db = store.Database(demo_copy)
    cells = pd.read_csv(ROOT / "dashboard/demo/files/cells.csv", dtype=str, keep_default_na=False)
    files = []
    for members in ("9", "11"):
        df = cells.copy()
        df["Số thành viên"] = members
        files.append(df.to_csv(index=False).encode())
    results, errors = {}, []
    start = threading.Barrier(2)

    def run(i):
        try:
            start.wait()
            results[i] = ingest.import_bytes(db, "cells", files[i], f"f{i}.csv")
        except Exception as exc:   # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    first, second = sorted(results.values(), key=lambda r: r.batch_id)
    assert first.committed and second.committed
    # the second saw the first's result in full: every row it changed had the first's value
    n = len(cells)
    assert first.updated == second.updated == n
    befores = db.df("SELECT before_json FROM batch_changes WHERE batch_id = ?",
                    [second.batch_id]).before_json
    members_before = {json.loads(b)["members"] for b in befores}
    assert len(members_before) == 1 and members_before != {None}
    final = set(db.df("SELECT DISTINCT members FROM cells").members)
    assert len(final) == 1 and final != members_before
    db.close()


def test_bad_files_get_clear_messages(demo_copy):
    db = store.Database(demo_copy)

    def msgs(dataset, data, name="x"):
        r = ingest.import_bytes(db, dataset, data, name)
        assert not r.committed
        return " ".join(p.message for p in r.errors)

    assert "rỗng" in msgs("cells", b"")
    assert "hỏng" in msgs("cells", b"PK\x03\x04" + b"\x00" * 200, "a.xlsx")
    # a PDF renamed .csv: the type comes from the content
    assert "không phải CSV hay Excel" in msgs("cells", b"%PDF-1.7\n...", "a.csv")
    units = (ROOT / "dashboard/demo/files/units.csv").read_bytes()
    assert "có vẻ là dữ liệu «Đơn vị" in msgs("cells", units)
    formula = ("Mã đơn vị,Kỳ,Chỉ số,Giá trị\n07210,2015-01,=HYPERLINK(\"http://x\"),1\n"
               ).encode()
    assert "công thức" in msgs("indicators", formula)
    wb = Workbook()
    ws = wb.active
    ws.append(["Mã đơn vị", "Kỳ", "Chỉ số", "Giá trị", None])
    ws.merge_cells("D1:E1")
    ws.append(["07210", "2015-01", "feedback_received", 1, 2])
    buf = io.BytesIO()
    wb.save(buf)
    assert "bị gộp (D1:E1)" in msgs("indicators", buf.getvalue(), "m.xlsx")
    db.close()


def test_totals_row_skipped_with_warning(demo_copy):
    db = store.Database(demo_copy)
    data = ("Mã đơn vị,Kỳ,Chỉ số,Giá trị\n07210,2015-01,feedback_received,3\n"
            "07228,2015-01,feedback_received,4\nTổng cộng,,,7\n").encode()
    r = ingest.import_bytes(db, "indicators", data, "t.csv")
    assert r.committed and r.new == 2
    assert [(w.row, "tổng cộng" in w.message.lower()) for w in r.warnings] == [(4, True)]
    db.close()


def test_annotated_csv_marks_problem_cells(demo_copy):
    from openpyxl import load_workbook

    db = store.Database(demo_copy)
    data = ("Mã đơn vị,Kỳ,Chỉ số,Giá trị\n07210,2015-01,feedback_received,abc\n"
            "Phuc Hoa,2015-01,feedback_received,1\n=1+2,2015-01,x,1\n").encode()
    r = ingest.import_bytes(db, "indicators", data, "loi.csv")
    assert r.rejected == 3
    wb = load_workbook(io.BytesIO(annotate.annotate(r, data)))
    ws = wb["Dữ liệu"]
    assert ws["D2"].comment is not None and "không phải số" in ws["D2"].comment.text
    assert ws["D2"].fill.fgColor.rgb.endswith("F8B4B4")
    assert "Xã Phúc Hòa" in ws["A3"].comment.text and "07330" in ws["A3"].comment.text
    assert ws["A4"].value == "=1+2" and ws["A4"].data_type == "s"   # stays text
    assert ws["B2"].comment is None
    rep = wb["Kết quả kiểm tra"]
    assert rep["A4"].value == "Dòng" and rep.max_row == 4 + len(r.problems)
    db.close()


KILL_CHILD = r"""
import sys, time
from pathlib import Path
from dashboard import ingest, store
from dashboard.ingest import commit
from dashboard.store import batches, database, history
db_path, data_path, marker, point = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]

def stop(*_):
    marker.write_text(point)
    time.sleep(120)

if point == "rows":            # inside the transaction, rows written, archive staged
    real = commit.to_json_row
    def slow(row):
        stop()
        return real(row)
    commit.to_json_row = slow
elif point in ("before_commit", "rollback"):   # every check passed, COMMIT next
    database.BEFORE_COMMIT.append(stop)
elif point == "after_commit":  # committed, archive copy not yet renamed
    batches.os.replace = stop
db = store.Database(db_path)
if point == "rollback":
    history.rollback(db, int(data_path.name), cascade=True)
else:
    ingest.import_bytes(db, "indicators", data_path.read_bytes(), "chi_so_moi.csv")
print("FINISHED")
"""


def _archive_state(db) -> tuple[set[str], set[str]]:
    from dashboard.store import batches

    folder = batches.archive_dir(db)
    files = {str(p.relative_to(db.path.parent)) for p in folder.iterdir()} if \
        folder.exists() else set()
    paths = set(db.df("SELECT archive_path FROM batches WHERE archive_path IS NOT NULL")
                .archive_path)
    return files, paths


@pytest.mark.parametrize("point", ["rows", "before_commit", "after_commit", "rollback"])
def test_kill_at_any_point_leaves_a_consistent_database(demo_copy, tmp_path, point):
    from dashboard.store import integrity, queries

    db = store.Database(demo_copy)
    # one import with an archive copy, so the archive folder exists before the kill
    first = ingest.import_bytes(db, "indicators", "Mã đơn vị,Kỳ,Chỉ số,Giá trị\n"
                                "07210,2040-01,x,1\n".encode(), "dau.csv")
    assert first.committed
    tables = ("units", "cells", "models", "indicators", "boundaries", "batches")
    before = {t: history.table_snapshot(db, t) for t in tables}
    db.close()
    data = tmp_path / (str(1) if point == "rollback" else "new.csv")
    data.write_text("Mã đơn vị,Kỳ,Chỉ số,Giá trị\n07210,2041-01,x,1\n07228,2041-01,x,2\n",
                    encoding="utf-8")
    marker = tmp_path / "marker"
    script = tmp_path / "child.py"
    script.write_text(KILL_CHILD)
    proc = subprocess.Popen([sys.executable, str(script), str(demo_copy), str(data),
                             str(marker), point], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while not marker.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert marker.exists(), proc.stdout.read().decode()[-2000:]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    assert "FINISHED" not in proc.stdout.read().decode()
    db = store.Database(demo_copy)       # opens (and sweeps the archive folder)
    assert integrity.verify(db) == []
    files, paths = _archive_state(db)
    assert files <= paths, f"orphan archive files: {files - paths}"
    # (the demo copy comes without the demo's own archive folder: batches from this test)
    mine = set(db.df("SELECT archive_path FROM batches WHERE batch_id >= ?",
                     [first.batch_id]).archive_path)
    assert mine and mine <= files
    if point == "after_commit":        # the COMMIT happened: the batch and its file are kept
        assert db.table_count("batches") == len(before["batches"]) + 1
        assert db.scalar("SELECT count(*) FROM indicators WHERE period = '2041-01'") == 2
    else:
        for t, snap in before.items():
            pd.testing.assert_frame_equal(history.table_snapshot(db, t), snap, obj=t)
    assert int(queries.run(db, "kpi_overview", {}).iloc[0].cells) > 0   # still answers
    r = ingest.import_bytes(db, "indicators", data.read_bytes(), "lai.csv")
    assert r.committed or r.unchanged == 2
    db.close()
