"""Command line: the analysts' and scripts' API (docs/data-contract.md and README).

    python -m dashboard import DATASET FILE [--db PATH] [--dry-run] [--valid-rows-only]
    python -m dashboard query NAME [--db PATH] [--param KEY=VALUE ...] [--format csv|json]
    python -m dashboard demo [--db PATH] [--force]
    python -m dashboard units-from-reference PROVINCE_CODE [--db PATH]
    python -m dashboard reset [--province CODE] [--db PATH] [--force]
    python -m dashboard sql "SELECT …" [--db PATH] [--format csv|json]
    python -m dashboard docs
    python -m dashboard history [--db PATH] [--format csv|json]
    python -m dashboard rollback BATCH [--cascade] [--dry-run] [--db PATH]
    python -m dashboard report --as-of DATE [--communes …] [--format party|state] --out FILE.docx
    python -m dashboard evaluate [--indicator NAME] [--as-of DATE] [--anticipation K]
                                 [--communes CODE …] [--format csv|json] [--db PATH]

Exit 0 on success; 1 when the file or statement has errors (report on stdout, nothing
written); 2 on usage errors.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from dashboard import config
from dashboard.access import cli as access_cli

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit 2 with a Vietnamese hint
        self.print_usage(sys.stderr)
        print(f"Lỗi cú pháp lệnh: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _db_arg(p):
    p.add_argument("--db", help="tệp cơ sở dữ liệu (mặc định $DASHBOARD_DB hoặc "
                                "data/dashboard.duckdb)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m dashboard",
                     description="Bảng điều khiển Dân vận — dòng lệnh")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("import", help="nhập một tệp CSV/XLSX (hoặc ranh giới)")
    p.add_argument("dataset", help="units, cells, models, indicators, boundaries")
    p.add_argument("file")
    _db_arg(p)
    p.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra, không ghi")
    p.add_argument("--valid-rows-only", action="store_true",
                   help="ghi các dòng hợp lệ, bỏ các dòng lỗi")
    p.add_argument("--code-property", help="(boundaries) thuộc tính chứa mã đơn vị")
    p.add_argument("--old-codes", action="store_true",
                   help="tệp dùng mã xã cũ (trước 01/07/2025)")
    p.add_argument("--choose", action="append", default=[], metavar="MÃ_CŨ=MÃ_MỚI",
                   help="chọn xã mới cho một xã cũ bị chia (lặp lại được)")
    p.add_argument("--other-province", action="store_true",
                   help="ghi cả khi tệp thuộc tỉnh khác với dữ liệu hiện có")
    access_cli.add_user_option(p)

    p = sub.add_parser("query", help="chạy một truy vấn có tên trong queries/")
    p.add_argument("name")
    _db_arg(p)
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    access_cli.add_user_option(p)

    p = sub.add_parser("demo", help="tạo cơ sở dữ liệu mẫu (tỉnh Bắc Ninh, số liệu giả lập)")
    _db_arg(p)
    p.add_argument("--force", action="store_true",
                   help="ghi đè cả khi cơ sở dữ liệu đang chứa dữ liệu thật")
    p.add_argument("--regenerate", action="store_true",
                   help="tạo lại các tệp data/demo/*.csv từ mã nguồn trước khi nạp")

    p = sub.add_parser("units-from-reference",
                       help="tạo tỉnh và các xã chính thức (2025) từ danh mục tham chiếu")
    p.add_argument("province_code")
    _db_arg(p)

    p = sub.add_parser("reset", help="xóa toàn bộ dữ liệu (cả dữ liệu mẫu) và bắt đầu với "
                                     "một tỉnh từ danh mục chính thức")
    p.add_argument("--province", metavar="MÃ", help="mã tỉnh 2025 (2 chữ số), ví dụ 04 = "
                                                    "Cao Bằng; tạo tỉnh và các xã chính thức")
    _db_arg(p)
    p.add_argument("--force", action="store_true",
                   help="xóa cả khi cơ sở dữ liệu đang chứa dữ liệu thật (không phải mẫu)")
    access_cli.add_user_option(p)

    p = sub.add_parser("sql", help="chạy một câu lệnh SELECT trong môi trường an toàn")
    from dashboard import sandbox

    sandbox.add_arguments(p)

    sub.add_parser("docs", help="tạo lại docs/data-contract.md từ contract.py")

    p = sub.add_parser("history", help="liệt kê các lô nhập (mới nhất trước)")
    _db_arg(p)
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    access_cli.add_user_option(p)
    p = sub.add_parser("rollback", help="hoàn tác một lô nhập (như trang Dữ liệu)")
    p.add_argument("batch", type=int, help="số lô (xem lệnh history)")
    _db_arg(p)
    p.add_argument("--cascade", action="store_true",
                   help="hoàn tác cả các lô phụ thuộc (mới nhất trước)")
    p.add_argument("--dry-run", action="store_true", help="chỉ cho biết sẽ hoàn tác gì")
    access_cli.add_user_option(p)
    p = sub.add_parser("report", help="dự thảo báo cáo sơ kết/tổng kết (Word .docx)")
    p.add_argument("--as-of", required=True, help="ngày số liệu, YYYY-MM-DD")
    p.add_argument("--communes", help="mã xã, phường, cách nhau bởi dấu phẩy (mặc định: "
                                      "toàn tỉnh)")
    p.add_argument("--format", choices=["party", "state"], default="party",
                   help="party: thể thức văn bản của Đảng (mặc định); state: NĐ 30/2020")
    p.add_argument("--kind", choices=["so_ket", "tong_ket"], default="so_ket")
    p.add_argument("--out", required=True, help="tệp .docx ghi ra")
    _db_arg(p)
    access_cli.add_user_option(p)
    access_cli.add_users_parser(sub, _db_arg)
    access_cli.add_serve_parser(sub, _db_arg)
    p = sub.add_parser("evaluate", help="mọi ước lượng của trang Thí điểm và nhân rộng")
    from dashboard.analysis.evaluation import report as evaluation_report

    evaluation_report.add_arguments(p)
    return parser


def print_frame(df: pd.DataFrame, fmt: str, out=None) -> None:
    """Plain machine-readable output: '.' decimals, no thousands separators, ISO dates."""
    out = out or sys.stdout
    df = df.copy()
    for c in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            df[c] = df[c].dt.strftime("%Y-%m-%d")
    if fmt == "json":
        out.write(df.to_json(orient="records", force_ascii=False, date_format="iso") + "\n")
    else:
        df.to_csv(out, index=False, lineterminator="\n")


def _open(args):
    from dashboard import store

    return store.Database(args.db) if args.db else store.Database()


def cmd_import(args) -> int:
    from dashboard import ingest

    if args.dataset == "boundaries":
        from dashboard.ingest import boundary_files

        db = _open(args)
        report = boundary_files.import_boundaries(db, args.file,
                                                  code_property=args.code_property,
                                                  dry_run=args.dry_run)
        print(report.summary_text())
        return EXIT_OK if report.ok else EXIT_DATA
    try:
        ingest.get_dataset(args.dataset)
    except ingest.DatasetError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    if not Path(args.file).is_file():
        print(f"Không tìm thấy tệp «{args.file}».", file=sys.stderr)
        return EXIT_USAGE
    bad = [c for c in args.choose if "=" not in c]
    if bad:
        print(f"--choose phải có dạng MÃ_CŨ=MÃ_MỚI: «{bad[0]}»", file=sys.stderr)
        return EXIT_USAGE
    choices = dict(c.split("=", 1) for c in args.choose)
    db = _open(args)
    report = ingest.import_file(db, args.dataset, args.file, dry_run=args.dry_run,
                                valid_rows_only=args.valid_rows_only,
                                legacy_choices=choices, legacy_codes=args.old_codes,
                                allow_other_province=args.other_province)
    print(report.summary_text())
    if report.needs_confirmation and not args.dry_run:
        print("Chưa ghi: tệp thuộc tỉnh khác với dữ liệu hiện có. Thêm --other-province để "
              "ghi, hoặc chạy `python -m dashboard reset --province MÃ` để bắt đầu lại.")
        return EXIT_DATA
    return EXIT_OK if report.ok else EXIT_DATA


def cmd_query(args) -> int:
    from dashboard.store import queries

    try:
        queries.get(args.name)
    except KeyError:
        print(f"Không có truy vấn «{args.name}». Có: {', '.join(queries.names())}",
              file=sys.stderr)
        return EXIT_USAGE
    params = {}
    for item in args.param:
        if "=" not in item:
            print(f"Tham số phải có dạng KEY=VALUE: «{item}»", file=sys.stderr)
            return EXIT_USAGE
        k, v = item.split("=", 1)
        params[k.strip()] = v.strip()
    try:
        from dashboard.access import context, scope

        df = queries.run(scope.database_for(_open(args), context.current()), args.name, params)
    except (ValueError, TypeError) as exc:
        print(f"Tham số không hợp lệ: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print_frame(df, args.format)
    return EXIT_OK


def cmd_demo(args) -> int:
    from dashboard import demo, store

    path = Path(args.db) if args.db else store.default_db_path()
    if args.regenerate:
        demo.generate()
    if path.exists():
        db = store.Database(path)
        real = db.scalar("SELECT count(*) FROM batches") and not db.is_demo()
        db.close()
        if real and not args.force:
            print(f"Cơ sở dữ liệu {path} đang chứa dữ liệu thật; thêm --force để ghi đè bằng "
                  "dữ liệu mẫu.", file=sys.stderr)
            return EXIT_DATA
        for p in (path, Path(str(path) + ".wal")):
            p.unlink(missing_ok=True)
        import shutil

        shutil.rmtree(path.parent / config.get("archive_dir_name"), ignore_errors=True)
    db = store.Database(path)
    print(f"Tạo dữ liệu mẫu (tỉnh Bắc Ninh, số liệu giả lập) trong {path}")
    demo.load(db)
    db.close()
    print("Xong.")
    return EXIT_OK


def cmd_units_from_reference(args) -> int:
    import tempfile

    from dashboard import ingest
    from dashboard.store import reference

    try:
        frame = reference.units_frame(args.province_code)
    except KeyError:
        print(f"Không có tỉnh mã «{args.province_code}» trong danh mục 2025 (34 tỉnh, thành "
              "phố).", file=sys.stderr)
        return EXIT_USAGE
    db = _open(args)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"units_reference_{frame.unit_code.iloc[0]}.csv"
        frame.to_csv(path, index=False, encoding="utf-8")
        report = ingest.import_file(db, "units", path, allow_other_province=True)
    print(report.summary_text())
    return EXIT_OK if report.ok else EXIT_DATA


def cmd_reset(args) -> int:
    from dashboard.store import province

    if args.province and province.reference.province(args.province) is None:
        print(f"Không có tỉnh mã «{args.province}» trong danh mục 2025 (34 tỉnh, thành phố).",
              file=sys.stderr)
        return EXIT_USAGE
    from dashboard.access import context

    if not context.current().can("reset"):
        print("Chỉ quản trị viên được xóa dữ liệu hoặc bắt đầu tỉnh mới.", file=sys.stderr)
        return EXIT_DATA
    db = _open(args)
    if province.holds_real_data(db) and not args.force:
        print(f"Cơ sở dữ liệu {db.path} đang chứa dữ liệu thật; thêm --force để xóa.",
              file=sys.stderr)
        return EXIT_DATA
    result = province.reset(db, args.province)
    print(result.summary_text())
    return EXIT_OK if result.ok else EXIT_DATA


def cmd_sql(args) -> int:
    from dashboard import sandbox

    return sandbox.cli_main(args)


def cmd_docs(args) -> int:
    from dashboard.output import docs

    path = docs.write()
    print(f"Đã ghi {path}")
    return EXIT_OK


HISTORY_COLUMNS = ["batch_id", "created_at", "dataset", "file_name", "sha256", "rows_new",
                   "rows_updated", "rows_unchanged", "rows_rejected", "status", "mode",
                   "created_by", "note"]


def cmd_history(args) -> int:
    from dashboard.access import context, scope
    from dashboard.store import history

    df = history.list_batches(scope.database_for(_open(args), context.current()))[HISTORY_COLUMNS]
    df["created_at"] = pd.to_datetime(df["created_at"]).dt.strftime("%Y-%m-%dT%H:%M:%S")
    print_frame(df, args.format)
    return EXIT_OK


def cmd_rollback(args) -> int:
    from dashboard.store import history

    db = _open(args)
    try:
        result = history.rollback(db, args.batch, cascade=args.cascade, dry_run=args.dry_run)
    except history.RollbackError as exc:
        print(str(exc))
        if isinstance(exc, history.RollbackConflict) and exc.dependents.can_cascade:
            print("Thêm --cascade để hoàn tác cả các lô đó (--dry-run để xem trước).")
        return EXIT_DATA
    for line in result.dependents.lines() if result.dependents else ():
        print(line)
    print(result.summary_text())
    return EXIT_OK


def cmd_report(args) -> int:
    import datetime as dt

    try:
        as_of = dt.date.fromisoformat(args.as_of)
    except ValueError:
        print(f"--as-of phải là ngày YYYY-MM-DD: «{args.as_of}»", file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.out)
    if out.suffix.lower() != ".docx" or not out.parent.is_dir():
        print(f"--out phải là tệp .docx trong một thư mục có sẵn: «{args.out}»", file=sys.stderr)
        return EXIT_USAGE
    from dashboard.access import audit, context, scope
    from dashboard.output import report

    base = _open(args)
    principal = context.current()   # --user / $DASHBOARD_USER; the local admin without users
    db = scope.database_for(base, principal)
    try:
        data = report.report_docx(db, as_of, args.communes, principal, args.format, args.kind)
    except report.ReportError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except (PermissionError, report.NoData) as exc:
        print(exc, file=sys.stderr)
        return EXIT_DATA
    out.write_bytes(data)
    detail = report.audit_detail(as_of, args.communes, args.format, args.kind)
    audit.record(base, principal, "export", f"{detail} file={out.name}")
    print(f"Đã ghi {out}")
    return EXIT_OK
def cmd_evaluate(args) -> int:
    from dashboard.analysis.evaluation import report

    return report.main(args, print_frame)


COMMANDS = {"import": cmd_import, "query": cmd_query, "demo": cmd_demo,
            "units-from-reference": cmd_units_from_reference, "sql": cmd_sql,
            "docs": cmd_docs, "history": cmd_history, "rollback": cmd_rollback,
            "report": cmd_report, "reset": cmd_reset, "users": access_cli.cmd_users,
            "serve": access_cli.cmd_serve, "evaluate": cmd_evaluate}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command in access_cli.NEEDS_USER:     # who runs it: role and scope apply
            refused = access_cli.bind_principal(args)
            if refused is not None:
                return refused
        return COMMANDS[args.command](args)
    except PermissionError as exc:      # access.Forbidden: the role or scope does not allow it
        print(str(exc), file=sys.stderr)
        return EXIT_DATA
    except BrokenPipeError:  # output piped into `head` and closed early
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # a short message, never a traceback
        import duckdb

        from dashboard.reporting.approvals import PeriodLocked

        if isinstance(exc, PeriodLocked):      # a write into an approved (locked) month
            print(exc, file=sys.stderr)
            return EXIT_DATA

        if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
            print("Cơ sở dữ liệu đang được một tiến trình khác (ứng dụng) mở để ghi. Dừng ứng "
                  "dụng hoặc dùng --db với tệp khác.", file=sys.stderr)
            return EXIT_DATA
        raise
