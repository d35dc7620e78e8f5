"""`python -m dashboard sql "SELECT …"`: the explorer's rules from the command line, with
plain machine-readable output."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys

import pandas as pd

from dashboard.sandbox.check import check
from dashboard.sandbox.limits import Limits, SandboxError
from dashboard.sandbox.snapshot import for_path

# ---------------------------------------------------------------------------------------------
# Machine-readable output (CLI)


def _json_value(v):
    if v is None:
        return None
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat() if v == v.normalize() else v.isoformat()
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat()
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, dict):
        return {str(k): _json_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_value(x) for x in v]
    if hasattr(v, "tolist"):
        return _json_value(v.tolist())
    if hasattr(v, "item"):
        return v.item()
    return v


def to_records(df: pd.DataFrame) -> list[dict]:
    cols = [str(c) for c in df.columns]
    return [dict(zip(cols, (_json_value(v) for v in row)))
            for row in df.itertuples(index=False, name=None)]


def to_plain_csv(df: pd.DataFrame) -> str:
    """CSV for scripts: no BOM, '.' decimal point, ISO dates."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([str(c) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        vals = []
        for v in row:
            v = _json_value(v)
            if v is None:
                vals.append("")
            elif isinstance(v, bool):
                vals.append("true" if v else "false")
            elif isinstance(v, (list, dict)):
                vals.append(json.dumps(v, ensure_ascii=False))
            else:
                vals.append(v)
        w.writerow(vals)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Command line: python -m dashboard sql "SELECT …" [--db PATH] [--format csv|json]


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("statement", help="một câu lệnh SELECT (dùng '-' để đọc từ stdin)")
    p.add_argument("--db", default=None, help="tệp cơ sở dữ liệu (mặc định $DASHBOARD_DB "
                                              "hoặc data/dashboard.duckdb)")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="giá trị cho tham số $KEY (lặp lại được)")
    p.add_argument("--timeout", type=float, default=None,
                   help="giới hạn thời gian mỗi câu lệnh, giây (mặc định 5)")
    p.add_argument("--max-rows", type=int, default=None,
                   help="số dòng tối đa in ra (mặc định 1.000.000)")
    from dashboard.access.cli import add_user_option

    add_user_option(p)
    return p


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m dashboard sql",
        description="Chạy một câu lệnh SQL chỉ đọc theo đúng quy tắc của trang Phân tích SQL.")
    return add_arguments(p)


def cli_main(args) -> int:
    """`sql` subcommand. args: an argparse.Namespace from add_arguments, or argv strings.

    Prints the result (CSV or JSON) on stdout and returns 0; on refusal or failure prints the
    Vietnamese message on stderr and returns 1.
    """
    if args is None or isinstance(args, (list, tuple)):
        args = build_parser().parse_args(list(args or []))
    statement = args.statement
    param_items = getattr(args, "param", None) or []
    timeout = getattr(args, "timeout", None)
    max_rows_arg = getattr(args, "max_rows", None)
    if statement == "-":
        statement = sys.stdin.read()
    params: dict[str, str] = {}
    for item in param_items:
        if "=" not in item:
            print(f"Tham số phải có dạng KEY=VALUE: {item}", file=sys.stderr)
            return 2
        k, v = item.split("=", 1)
        params[k.strip().lstrip("$")] = v
    base = Limits.from_env()
    limits = Limits(timeout_s=timeout if timeout else base.timeout_s,
                    max_rows=base.max_rows, download_rows=base.download_rows,
                    memory_limit=base.memory_limit, threads=base.threads,
                    max_concurrent=base.max_concurrent, max_result_mb=base.max_result_mb)
    max_rows = limits.download_rows if max_rows_arg is None else max_rows_arg
    from dashboard.access import Forbidden, context, require

    try:
        require(context.current(), "sql")
    except Forbidden as exc:
        print(str(exc), file=sys.stderr)
        return 1
    try:
        check(statement)          # refuse before touching the database at all
        sb = for_path(args.db, limits)
        result = sb.run(statement, params, max_rows=max_rows)
        _audit(sb, statement)
    except SandboxError as e:
        print(e.message, file=sys.stderr)
        return 1
    out = sys.stdout
    if args.format == "json":
        out.write(json.dumps(to_records(result.df), ensure_ascii=False, indent=None) + "\n")
    else:
        out.write(to_plain_csv(result.df))
    out.flush()
    if result.cut == "bytes":
        print(f"Kết quả đã bị cắt ở {len(result.df)} dòng: vượt giới hạn "
              f"{limits.max_result_mb:g} MB.", file=sys.stderr)
    elif result.truncated:
        print(f"Kết quả đã bị cắt ở {result.row_limit} dòng.", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(cli_main(sys.argv[1:]))


def _audit(sb, statement: str) -> None:
    """With accounts configured, a statement run from the command line is logged too."""
    from dashboard.access import audit, context, users
    from dashboard.store import database as store

    who = context.current()
    for db in list(store._OPEN.values()):
        if not db.read_only and users.any_users(db):
            audit.record(db, who, "sql", statement[:2000], "cli")
            return
