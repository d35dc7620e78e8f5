"""Import pipeline: read file → map headers → parse and validate every cell and row →
compare with what is stored (new / updated / unchanged / rejected) → commit as one batch.

All-or-nothing by default: any error means nothing is written, and the report lists every
problem (row number as the user sees it in the file, column, value, Vietnamese message).
The browser upload and the CLI call the same `import_file`.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import numpy as np

from dashboard.contract import Dataset
from dashboard.ingest import readers
from dashboard.ingest.checks import (  # noqa: F401
    _by_unique,
    _check_rows,
    _existing_units,
    _parse_column,
    _parse_uniques,
    _strip_type,
    suggest_unit,
    suggestion_names,
    validate,
)
from dashboard.ingest.commit import (  # noqa: F401
    _CheckOnly,
    _insert_changes,
    integrity_problems,
    write_batch,
)
from dashboard.ingest.compare import (  # noqa: F401
    StoredRows,
    _arrow_table,
    _json_key,
    _json_rows,
    _json_values,
    _normal,
    _row_dict,
    compare,
)
from dashboard.ingest.headers import (  # noqa: F401
    DatasetError,
    _header_suggestion,
    _other_dataset_hint,
    get_dataset,
    map_headers,
)
from dashboard.ingest.report import ImportReport, Problem, _problem_line  # noqa: F401
from dashboard.store.database import Database


def check_bytes(db: Database, ds: Dataset, data: bytes, file_name: str, dry_run: bool,
                valid_rows_only: bool, progress=None, legacy_choices=None,
                legacy_codes: bool = False, principal=None):
    """Read, validate and compare a file against the stored data, holding no lock (readers
    and other uploads go on). Rows outside the uploader's scope are rejected, each named.
    -> (report, valid rows, status, stored rows)."""
    from dashboard.access.safe_text import scrub_paths

    report = ImportReport(dataset=ds.name, file_name=file_name, dry_run=dry_run,
                          mode="valid_rows_only" if valid_rows_only else "all_or_nothing")
    report.sha256 = hashlib.sha256(data).hexdigest()
    header_keys = [c.header_keys() for c in ds.columns]
    try:
        raw = readers.read_table(data, file_name, header_keys, ds.name)
    except readers.ReadError as exc:
        report.problems.append(Problem(None, None, "", scrub_paths(exc)))
        return report, None, [], []
    report.raw = raw
    for row, column, message, severity in raw.issues:
        report.problems.append(Problem(row, column, "", message, severity=severity))
    if progress:
        progress(0.1, "Đang kiểm tra từng dòng…")
    parsed = validate(db, ds, raw, report, legacy_choices, legacy_codes)
    if principal is not None:
        _reject_outside_scope(db, principal, ds, parsed, report)
    report.rows_total = len(raw.frame)
    if len(parsed) == 0 and report.ok:
        report.problems.append(Problem(None, None, "", "Tệp không có dòng dữ liệu nào "
                                       "dưới dòng tiêu đề."))
    all_ok = bool(parsed["_ok"].all()) if len(parsed) else True
    good = parsed if all_ok else parsed[parsed["_ok"]]
    bad = parsed.iloc[:0] if all_ok else parsed[~parsed["_ok"]]
    report.rejected = len(bad)
    report.rows = good[ds.names] if len(good) else None
    if len(bad):
        pos = np.searchsorted(np.asarray(raw.row_numbers), bad["_row"].to_numpy(dtype=np.int64))
        rej = raw.frame.iloc[pos].copy()
        rej.insert(0, "Dòng trong tệp", list(bad["_row"]))
        report.rejected_rows = rej
    status, before = compare(db, ds, good) if len(good) else ([], [])
    report.new = status.count("new")
    report.updated = status.count("updated")
    report.unchanged = status.count("unchanged")
    if progress:
        progress(0.4, "Đã kiểm tra xong.")
    return report, good, status, before


def import_bytes(db: Database, dataset: str, data: bytes, file_name: str = "tệp tải lên",
                 dry_run: bool = False, valid_rows_only: bool = False,
                 created_by: str | None = None, progress=None,
                 legacy_choices: dict[str, str] | None = None,
                 legacy_codes: bool = False, allow_other_province: bool = False) -> ImportReport:
    """Check a file and, unless dry_run or it has errors, commit it as one batch.

    The check runs without the write lock; only the commit holds it. When another write
    committed meanwhile (the data version moved), the file is checked again under the lock,
    so a batch always records the state it replaced.

    legacy_choices: old commune code -> chosen 2025 commune code, for old communes split
    between several new ones; legacy_codes: the file uses pre-2025 codes throughout;
    allow_other_province: write a units file of a province the data does not hold yet
    (otherwise the report asks for it: needs_confirmation, nothing written).

    Runs as the current principal (dashboard.access.context): the role must allow uploads,
    rows outside its scope are rejected, the batch records who made it, and the check or
    commit goes into the audit log."""
    from dashboard.access import context, require

    ds = get_dataset(dataset)
    principal = context.current()          # who uploads: checked, recorded on the batch
    require(principal, "upload")
    created_by = created_by or principal.username
    report = _check_and_commit(db, ds, data, file_name, dry_run, valid_rows_only, created_by,
                               allow_other_province, principal,
                               dict(progress=progress, legacy_choices=legacy_choices,
                                    legacy_codes=legacy_codes, principal=principal))
    _audit_upload(db, principal, report, "upload" if report.committed else "upload_checked")
    return report


def _check_and_commit(db, ds, data, file_name, dry_run, valid_rows_only, created_by,
                      allow_other_province, principal, options) -> ImportReport:
    progress = options["progress"]
    version = db.data_version()
    report, good, status, before = check_bytes(db, ds, data, file_name, dry_run,
                                               valid_rows_only, **options)
    if good is not None:
        _check_other_provinces(db, ds, good, report, allow_other_province)
    if good is None or (report.errors and not valid_rows_only) or not len(good):
        return report
    if report.needs_confirmation and not dry_run:
        return report
    if dry_run and not (ds.name == "units" and (report.new or report.updated)):
        return report   # only a units file can break stored rows the checks above miss
    from dashboard.store.integrity import IntegrityError

    with db.write_lock:  # two uploads never interleave their commits
        if db.data_version() != version:   # another write committed meanwhile: check again
            report, good, status, before = check_bytes(db, ds, data, file_name, dry_run,
                                                       valid_rows_only, **options)
            if good is None or (report.errors and not valid_rows_only) or not len(good):
                return report
            _check_other_provinces(db, ds, good, report, allow_other_province)
            if report.needs_confirmation and not dry_run:
                return report
        try:
            report.batch_id = write_batch(db, ds, good, status, before, report, data,
                                          created_by, progress, check_only=dry_run)
        except IntegrityError as exc:   # stored rows depending on the file's rows
            report.problems.extend(integrity_problems(exc, ds, good))
            return report
        except duckdb.ConstraintException as exc:   # the database's own rules: last check
            report.problems.append(Problem(
                None, None, "", "Cơ sở dữ liệu từ chối ghi vì có dòng không thỏa quy tắc dữ "
                f"liệu ({str(exc).splitlines()[0]}); không dòng nào được ghi.",
                "Kiểm tra các cột bắt buộc, giá trị tối thiểu và thứ tự ngày trong tệp."))
            return report
        report.committed = report.batch_id is not None
    return report


def _check_other_provinces(db, ds, good, report, allowed: bool) -> None:
    from dashboard.store import province

    found = province.other_provinces(db, ds.name, good if len(good) else None)
    report.other_provinces = found
    if found:
        report.needs_confirmation = not allowed
        report.problems.append(Problem(None, None, "", province.other_province_message(db, found),
                                       suggestion=province.OTHER_PROVINCE_HINT,
                                       severity="warning"))


def _reject_outside_scope(db, principal, ds, parsed, report) -> None:
    """Rows naming a unit outside the uploader's scope are rejected, each one named."""
    from dashboard.access import scope

    if principal.scope is None or not len(parsed):
        return
    label = {c.name: c.label for c in ds.columns}
    for idx, col, val, msg in scope.upload_problems(db, principal, ds.name,
                                                    parsed[parsed["_ok"]]):
        parsed.at[idx, "_ok"] = False
        report.problems.append(Problem(int(parsed.at[idx, "_row"]), label.get(col, col),
                                       str(val), msg))


def _audit_upload(db, principal, report, action) -> None:
    from dashboard.access import audit

    audit.record(db, principal, action, {
        "dataset": report.dataset, "file": report.file_name, "batch": report.batch_id,
        "new": report.new, "updated": report.updated, "rejected": report.rejected,
        "errors": len(report.errors)})


def import_file(db: Database, dataset: str, path: str | Path, dry_run: bool = False,
                valid_rows_only: bool = False, **options) -> ImportReport:
    path = Path(path)
    return import_bytes(db, dataset, path.read_bytes(), path.name, dry_run=dry_run,
                        valid_rows_only=valid_rows_only, **options)
