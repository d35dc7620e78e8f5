"""The import over whole columns gives the same tables, rows, messages and history as the
row-by-row reading, and its check holds no lock."""
from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from dashboard import ingest, store
from dashboard.ingest import pipeline, readers
from dashboard.store.database import to_json_row

ROOT = Path(__file__).resolve().parent.parent


def _row_reader(data: bytes, keys=None) -> readers.RawTable:
    fast = readers._read_csv_fast
    readers._read_csv_fast = lambda *a, **k: None
    try:
        return readers.read_csv_bytes(data, keys)
    finally:
        readers._read_csv_fast = fast


def _keys(dataset="indicators"):
    return [c.header_keys() for c in ingest.get_dataset(dataset).columns]


@pytest.mark.parametrize("variant", ["plain", "bom_crlf", "spaces", "semicolon"])
def test_fast_csv_reader_equals_row_reader(variant):
    sep = ";" if variant == "semicolon" else ","
    lines = ["Báo cáo chỉ số" + sep * 3, sep.join(["Mã đơn vị", "Kỳ", "Chỉ số", "Giá trị"])]
    for i in range(6000):
        value = f'"{i},5"' if sep == "," and i % 5 == 0 else f"{i}"
        unit = f" 07{i % 900:03d} " if variant == "spaces" and i % 3 == 0 else f"07{i % 900:03d}"
        if i % 97 == 0:
            lines.append(sep * 3)                       # a blank row
        elif i % 89 == 0:
            lines.append(sep.join([unit, "2024-01"]))    # a short row
        else:
            lines.append(sep.join([unit, f"2024-{i % 12 + 1:02d}", "phản_ánh", value]))
    lines.append(sep.join(["Tổng cộng", "", "", "7"]))
    end = "\r\n" if variant == "bom_crlf" else "\n"
    data = (("\ufeff" if variant == "bom_crlf" else "") + end.join(lines) + end).encode()
    fast = readers._read_csv_fast(data, _keys())
    assert fast is not None
    slow = _row_reader(data, _keys())
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.row_numbers == slow.row_numbers
    assert (fast.header_row, fast.delimiter, fast.encoding) == \
        (slow.header_row, slow.delimiter, slow.encoding)


def test_quoted_line_break_uses_row_reader():
    body = "".join(f'07{i % 900:03d},2024-01,"dòng\nhai",{i}\n' for i in range(5000))
    data = ("Mã đơn vị,Kỳ,Chỉ số,Giá trị\n" + body).encode()
    assert readers._read_csv_fast(data, _keys()) is None
    raw = readers.read_csv_bytes(data, _keys())
    assert raw.row_numbers[:2] == [2, 4]        # physical lines, as the user sees them


def test_history_text_equals_row_serialiser(demo_copy):
    """batch_changes written column by column equal to_json_row / _json_key row by row, for
    new rows and for updated rows (before-images)."""
    db = store.Database(demo_copy)
    try:
        cells = pd.read_csv(ROOT / "dashboard/demo/files/cells.csv", dtype=str,
                            keep_default_na=False).head(300)
        cells.loc[::2, "Số thành viên"] = "9"
        r = ingest.import_bytes(db, "cells", cells.to_csv(index=False).encode(), "c.csv")
        assert r.committed and r.updated > 100
        got = db.df("SELECT row_key, before_json, after_json FROM batch_changes "
                    "WHERE batch_id = ? ORDER BY row_key", [r.batch_id])
        stored = db.df("SELECT * FROM cells WHERE list_contains(?, cell_id) ORDER BY cell_id",
                       [list(r.rows.cell_id)])
        ds = ingest.get_dataset("cells")
        after = {pipeline._json_key([row.cell_id]): to_json_row(
            {c: pipeline._normal(getattr(row, c)) for c in ds.names})
            for row in stored.itertuples(index=False)}
        changed = got.row_key.tolist()
        assert [after[k] for k in changed] == got.after_json.tolist()
        assert got.before_json.notna().sum() == r.updated
        assert all('"members": ' in b for b in got.before_json.dropna())
    finally:
        db.close()


def test_check_holds_no_lock(demo_copy, monkeypatch):
    """While a file is being checked, other writers can take the write lock; only the
    commit holds it."""
    db = store.Database(demo_copy)
    checking, release = threading.Event(), threading.Event()
    real = pipeline.validate

    def slow_validate(*a, **k):
        checking.set()
        assert release.wait(60)
        return real(*a, **k)

    monkeypatch.setattr(pipeline, "validate", slow_validate)
    data = ("Mã đơn vị,Kỳ,Chỉ số,Giá trị\n07210,2030-01,feedback_received,3\n").encode()
    result = {}
    t = threading.Thread(target=lambda: result.update(
        r=ingest.import_bytes(db, "indicators", data, "i.csv")))
    t.start()
    try:
        assert checking.wait(60)
        got = db.write_lock.acquire(blocking=False)
        assert got, "the check held the write lock"
        db.write_lock.release()
    finally:
        release.set()
        t.join(60)
    assert result["r"].committed and result["r"].new == 1
    db.close()


def test_commit_after_another_write_checks_again(demo_copy, monkeypatch):
    """A write committed while a file was being checked: the file is checked again under the
    lock, so its counts and before-images are those of the state it replaces."""
    db = store.Database(demo_copy)
    data = ("Mã đơn vị,Kỳ,Chỉ số,Giá trị\n07210,2030-01,feedback_received,3\n").encode()
    other = ("Mã đơn vị,Kỳ,Chỉ số,Giá trị\n07210,2030-01,feedback_received,5\n").encode()
    real = pipeline.compare
    calls = []

    def compare_then_write(*a, **k):
        out = real(*a, **k)
        if not calls:
            calls.append(1)
            assert ingest.import_bytes(db, "indicators", other, "o.csv").committed
        return out

    monkeypatch.setattr(pipeline, "compare", compare_then_write)
    r = ingest.import_bytes(db, "indicators", data, "i.csv")
    assert r.committed and (r.new, r.updated) == (0, 1)
    before = db.scalar("SELECT before_json FROM batch_changes WHERE batch_id = ?", [r.batch_id])
    assert '"value": 5' in before
    db.close()
