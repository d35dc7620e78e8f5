"""Whose data this is: the provinces held in the database, starting afresh with one's own
province, and the check that an upload belongs to the provinces already there.

Used by the Data page, the shared filters, the banner and `python -m dashboard reset`
(no Streamlit here). A province choice maps to its communes in `communes_in` only.
"""
from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field

import pandas as pd

from dashboard import config
from dashboard.store import reference

# the user's data, children before parents (a DELETE never leaves a dangling reference)
DATA_TABLES = ("indicators", "models", "cells", "boundaries", "units")
HISTORY_TABLES = ("batch_changes", "batches")
TABLE_LABELS = {"indicators": "chỉ số", "models": "mô hình", "cells": "tổ", "boundaries":
                "ranh giới", "units": "đơn vị"}
DEMO_META = ("demo", "demo_province")
RESET_MARK = "reset_batch_mark"    # keeps Database.data_version moving forward after a reset


def official_provinces() -> pd.DataFrame:
    """The 34 provinces of the 2025 reference: province_code, province_name, communes."""
    p = reference.tables()["ref_provinces"][["province_code", "province_name"]].copy()
    counts = reference.tables()["ref_communes"].groupby("province_code").size()
    p["communes"] = p.province_code.map(counts).fillna(0).astype(int)
    return p.sort_values("province_name", key=lambda s: s.map(_sort_key)).reset_index(drop=True)


def _sort_key(name: str) -> str:
    from dashboard.i18n.text import fold_words

    return fold_words(name.replace("Thành phố ", "").replace("Tỉnh ", ""))


def province_label(code: str, name: str | None = None) -> str:
    """'Cao Bằng (04)' for the picker."""
    if name is None:
        row = reference.province(code)
        name = row.province_name if row is not None else str(code)
    return f"{name} ({code})"


def provinces(db) -> pd.DataFrame:
    """Provinces in the user's units: province_code, province_name, communes (in the data)."""
    return db.df("""
        WITH c AS (
          SELECT c.unit_code,
                 CASE WHEN par.level = 'province' THEN par.unit_code ELSE par.parent_code END
                   AS province_code
          FROM units c LEFT JOIN units par ON par.unit_code = c.parent_code
          WHERE c.level = 'commune')
        SELECT p.unit_code AS province_code, p.unit_name AS province_name,
               count(c.unit_code) AS communes
        FROM units p LEFT JOIN c ON c.province_code = p.unit_code
        WHERE p.level = 'province'
        GROUP BY ALL ORDER BY p.unit_code""")


def communes_in(communes: pd.DataFrame, province_code: str | None) -> pd.DataFrame:
    """The one place a province choice becomes communes: the rows of a filter_communes
    result that belong to the province (all rows when no province is chosen)."""
    if not province_code:
        return communes
    return communes[communes.province_code == province_code]


def title(db, province_code: str | None = None) -> str:
    """What the data covers, for the sidebar and titles: 'Tỉnh Cao Bằng', '3 tỉnh, thành
    phố', or '' when there is no province yet."""
    p = provinces(db)
    if province_code and province_code in set(p.province_code):
        return p.set_index("province_code").province_name[province_code]
    if len(p) == 1:
        return p.province_name.iloc[0]
    if len(p) > 1:
        return f"{len(p)} tỉnh, thành phố"
    return ""


def demo_text(db) -> str | None:
    """The demo banner, from the data (None when the database holds no demo)."""
    if not db.is_demo():
        return None
    code = db.get_meta("demo_province")
    p = provinces(db)
    mine = p[p.province_code == code]
    name = mine.province_name.iloc[0] if len(mine) else (reference.province(code).province_name
                                                         if code and reference.province(code)
                                                         is not None else "")
    n = int(mine.communes.iloc[0]) if len(mine) else 0
    from dashboard.access.safe_text import markdown as esc
    from dashboard.i18n import fmt

    name = esc(name)          # a name from the data is text inside this Markdown banner

    text = (f"**Dữ liệu mẫu — số liệu giả lập.** {name} với {fmt.number(n)} xã, phường thật "
            "(danh mục 2025); thôn, tổ, mô hình và chỉ số là số liệu giả lập để minh họa.")
    others = p[p.province_code != code]
    if len(others):
        text += (" Cơ sở dữ liệu còn có dữ liệu tải lên của " + ", ".join(map(esc, others.province_name))
                 + ": vào trang **Dữ liệu**, mục «Bắt đầu với tỉnh của bạn» để xóa dữ liệu mẫu.")
    return text


def holds_real_data(db) -> bool:
    """True when the database has committed batches that are not the demo's."""
    return bool(db.scalar("SELECT count(*) FROM batches")) and not db.is_demo()


@dataclass
class ResetResult:
    rows_deleted: dict[str, int] = field(default_factory=dict)
    files_deleted: int = 0
    province_code: str | None = None
    province_name: str | None = None
    units_report: object = None     # ingest.ImportReport of the reference units

    @property
    def ok(self) -> bool:
        return self.units_report is None or self.units_report.committed

    def summary_text(self) -> str:
        from dashboard.i18n import fmt

        total = sum(self.rows_deleted.get(t, 0) for t in DATA_TABLES)
        lines = [] if not self.rows_deleted else [f"Đã xóa toàn bộ dữ liệu: {fmt.number(total)} dòng ("
                 + ", ".join(f"{TABLE_LABELS[t]} {fmt.number(n)}"
                             for t, n in self.rows_deleted.items() if t in DATA_TABLES)
                 + f"), {fmt.number(self.rows_deleted.get('batches', 0))} lô nhập và "
                 f"{fmt.number(self.files_deleted)} tệp lưu trữ."]
        if self.units_report is not None:
            r = self.units_report
            lines.append(f"Tạo {self.province_name} và {fmt.number(max(r.new - 1, 0))} xã, "
                         f"phường chính thức (lô {r.batch_id})." if r.committed else
                         "Không tạo được danh mục tỉnh:\n" + r.summary_text())
        return "\n".join(lines)


def reset(db, province_code: str | None = None, created_by: str | None = None) -> ResetResult:
    """Delete every dataset row, boundary, batch and archived file (the demo included) in one
    transaction; then, with a province code, create the province and its official communes
    from the reference as the first batch. Raises KeyError for an unknown province code
    (checked before anything is deleted)."""
    prov = None
    if province_code:
        prov = reference.province(province_code)
        if prov is None:
            raise KeyError(province_code)
    result = ResetResult()
    archives = [p for p in db.df("SELECT archive_path FROM batches").archive_path
                if isinstance(p, str) and p]
    counts = {t: db.table_count(t) for t in (*DATA_TABLES, *HISTORY_TABLES)}
    if not any(counts.values()) and not db.is_demo():   # nothing to delete: a new database
        if prov is not None:
            result.province_code, result.province_name = prov.province_code, prov.province_name
            result.units_report = create_from_reference(db, prov.province_code, created_by)
        return result
    with db.transaction() as cur:
        for t in (*DATA_TABLES, *HISTORY_TABLES):
            result.rows_deleted[t] = int(cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
            cur.execute(f"DELETE FROM {t}")
        for key in DEMO_META:
            db.set_meta(key, None, cur=cur)
        # batch ids never go back: the next data version is new even with no batch left
        mark = int(cur.execute("SELECT nextval('batch_seq')").fetchone()[0])
        db.set_meta(RESET_MARK, str(mark), cur=cur)
        db.set_meta("reset_at", dt.datetime.now().isoformat(timespec="seconds"), cur=cur)
    folder = db.path.parent
    for rel in archives:
        path = folder / rel
        if path.is_file():
            path.unlink()
            result.files_deleted += 1
    archive_dir = folder / config.get("archive_dir_name")
    if archive_dir.is_dir() and not any(archive_dir.iterdir()):
        shutil.rmtree(archive_dir, ignore_errors=True)
    if prov is not None:
        result.province_code, result.province_name = prov.province_code, prov.province_name
        result.units_report = create_from_reference(db, prov.province_code, created_by)
    return result


def create_from_reference(db, province_code: str, created_by: str | None = None):
    """Import the province and its official 2025 communes as one ordinary units batch."""
    from dashboard import ingest

    frame = reference.units_frame(province_code)
    data = frame.to_csv(index=False).encode("utf-8")
    return ingest.import_bytes(db, "units", data,
                               f"danh_muc_chinh_thuc_{frame.unit_code.iloc[0]}.csv",
                               created_by=created_by, allow_other_province=True)


# --- the check that an upload belongs to the provinces already in the data ------------------

def file_provinces(db, dataset: str, rows: pd.DataFrame | None) -> set[str]:
    """Province codes the rows of a `units` upload belong to (other datasets point at units
    already stored, so they add no province)."""
    if dataset != "units" or rows is None or not len(rows):
        return set()
    stored = db.df("SELECT unit_code, level, parent_code FROM units")
    up = {r.unit_code: (r.level, r.parent_code) for r in stored.itertuples()}
    up.update({r.unit_code: (r.level, r.parent_code) for r in rows.itertuples()
               if r.unit_code})
    ref = reference.tables()["ref_communes"]
    ref_province = dict(zip(ref.commune_code, ref.province_code))
    found: set[str] = set()
    for code in rows.unit_code:
        seen = 0
        while code and seen < 5:
            level, parent = up.get(code, (None, None))
            if level == "province":
                found.add(code)
                break
            if level == "commune" and code in ref_province and parent not in up:
                found.add(ref_province[code])
                break
            code, seen = parent, seen + 1
    return found


def other_provinces(db, dataset: str, rows: pd.DataFrame | None) -> list[tuple[str, str]]:
    """(code, name) of provinces in the upload that the data does not hold yet — only when
    the data already holds a province (a first upload into an empty database is not asked)."""
    have = provinces(db)
    if have.empty:
        return []
    new = sorted(file_provinces(db, dataset, rows) - set(have.province_code))
    out = []
    for code in new:
        ref = reference.province(code)
        name = ref.province_name if ref is not None else _name_in_rows(rows, code)
        out.append((code, name))
    return out


def _name_in_rows(rows: pd.DataFrame, code: str) -> str:
    hit = rows[rows.unit_code == code]
    return hit.unit_name.iloc[0] if len(hit) else code


def other_province_message(db, found: list[tuple[str, str]]) -> str:
    have = provinces(db)
    theirs = ", ".join(f"{n} ({c})" for c, n in found)
    ours = ", ".join(f"{n} ({c})" for c, n in zip(have.province_code, have.province_name))
    demo = " (dữ liệu mẫu)" if db.is_demo() else ""
    return (f"Tệp thuộc {theirs}, khác với dữ liệu hiện có: {ours}{demo}. Ghi tiếp sẽ đưa "
            "nhiều tỉnh vào cùng một cơ sở dữ liệu và mọi con số sẽ cộng chung các tỉnh.")


OTHER_PROVINCE_HINT = ("Muốn chỉ làm việc với tỉnh mới: xóa dữ liệu hiện có ở mục «Bắt đầu với "
                       "tỉnh của bạn» (dòng lệnh: python -m dashboard reset --province MÃ) rồi tải "
                       "lên lại. Muốn giữ cả hai tỉnh (ban cấp trung ương): xác nhận ghi.")

