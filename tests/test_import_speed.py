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


@pytest.mark.parametrize("space", [" ", "\t", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0",
                                   "\u1680", "\u2000", "\u200a", "\u2028", "\u202f", "\u205f",
                                   "\u3000", "\r"])
@pytest.mark.parametrize("where", ["start", "end", "inside", "file_end"])
def test_fast_reader_strips_every_white_space_as_python_does(space, where):
    """Every character str.strip() removes, at a cell's edge (or only inside a cell, or at the
    very end of the file): the fast reader's table equals the row reader's."""
    lines = ["Mã đơn vị;Kỳ;Chỉ số;Giá trị"]
    for i in range(6000):
        name = f"chỉ số {i % 7}"
        if i == 2500:
            name = {"start": space + name, "end": name + space,
                    "inside": name[:3] + space + name[3:]}.get(where, name)
        lines.append(f"07{i % 900:03d};2024-{i % 12 + 1:02d};{name};{i}")
    text = "\n".join(lines) + ("\n" if where != "file_end" else space)
    data = text.encode()
    fast = readers._read_csv_fast(data, _keys())
    if fast is None:   # e.g. a line break inside the text: the row reader is the reader
        return
    slow = _row_reader(data, _keys())
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.row_numbers == slow.row_numbers
    assert list(fast.row_numbers[:3]) == [2, 3, 4] and len(fast.row_numbers) == len(fast.frame)


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


def test_large_mixed_indicators_file_history_and_undo_exact(demo_copy):
    """A file read by the fast reader with new, updated and unchanged rows: the counts, each
    stored version the comparison hands on (updated and unchanged rows), every history text
    (row by row serialiser) and the undo are those of the row-by-row computation."""
    from dashboard.store import history

    db = store.Database(demo_copy)
    try:
        ds = ingest.get_dataset("indicators")
        df = pd.read_csv(ROOT / "dashboard/demo/files/indicators.csv", dtype=str,
                         keep_default_na=False, encoding="utf-8-sig")
        df = df.iloc[:4000].copy()
        df.loc[df.index[::7], "Giá trị"] = "3,25"                       # updated (most)
        new = df.iloc[:900].copy()                                       # new: 70 years on
        new["Kỳ"] = (new["Kỳ"].str[:4].astype(int) + 70).astype(str) + new["Kỳ"].str[4:]
        data = pd.concat([df, new]).to_csv(index=False).encode()
        assert len(data) > 65536 and readers._read_csv_fast(data, _keys()) is not None
        stored_before = db.df("SELECT * FROM indicators")
        snap = history.table_snapshot(db, "indicators")
        report, good, status, before = pipeline.check_bytes(db, ds, data, "i.csv", False,
                                                            False)
        key = stored_before.set_index(list(ds.key))
        for i in range(0, len(good), 37):   # the stored version of sampled rows
            r = good.iloc[i]
            k = tuple(r[c] for c in ds.key)
            if k not in key.index:
                assert status[i] == "new" and before[i] is None
                continue
            row = {c: pipeline._normal(v) for c, v in zip(ds.key, k)}
            row.update({c: pipeline._normal(key.loc[k, c]) for c in ds.names if c not in ds.key})
            assert before[i] == row
            assert status[i] == ("unchanged" if float(r["value"]) == row["value"] else "updated")
        r = ingest.import_bytes(db, "indicators", data, "i.csv")
        assert r.committed, r.summary_text()
        assert r.new == 900 and r.updated > 400 and r.unchanged > 2000
        got = db.df("SELECT row_key, before_json, after_json FROM batch_changes "
                    "WHERE batch_id = ?", [r.batch_id])
        assert len(got) == r.new + r.updated
        after = db.df("SELECT * FROM indicators")
        def images(frame):
            return {pipeline._json_key([getattr(x, k) for k in ds.key]): to_json_row(
                {c: pipeline._normal(getattr(x, c)) for c in ds.names})
                for x in frame.itertuples(index=False)}
        want_after, want_before = images(after), images(stored_before)
        assert got.after_json.tolist() == [want_after[k] for k in got.row_key]
        assert [b if isinstance(b, str) else None for b in got.before_json] == \
            [want_before.get(k) for k in got.row_key]
        history.rollback(db, r.batch_id)
        pd.testing.assert_frame_equal(history.table_snapshot(db, "indicators"), snap)
    finally:
        db.close()
