"""Command line for access: `users …`, `serve`, and `--user` (who a command runs as).

    python -m dashboard users add NAME --role ROLE --scope all|CODE,CODE [--password-stdin]
    python -m dashboard users set-password NAME [--password-stdin]
    python -m dashboard users set-role NAME ROLE
    python -m dashboard users set-scope NAME all|CODE,CODE|""
    python -m dashboard users disable NAME [--enable]
    python -m dashboard users list [--format csv|json]
    python -m dashboard serve [--address 127.0.0.1] [--port 8501] [--db PATH]

`--user NAME` (or $DASHBOARD_USER) on query, sql and import runs the command with that
user's role and scope. With no users configured the command line is the local single user.
The command line itself is not a login: whoever can run it can read the database file;
`--user` is for running a script as a commune's account (its scope and rights apply).
"""
from __future__ import annotations

import getpass
import ipaddress
import os
import subprocess
import sys
from pathlib import Path

from dashboard import config

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
NEEDS_USER = ("import", "query", "sql", "rollback", "history", "report", "reset")


def add_user_option(p) -> None:
    p.add_argument("--user", default=None,
                   help="chạy với vai trò và phạm vi của người dùng này (mặc định "
                        "$DASHBOARD_USER); bắt buộc khi đã có tài khoản")


def add_users_parser(sub, db_arg) -> None:
    p = sub.add_parser("users", help="quản lý tài khoản: add, set-password, set-role, "
                                     "set-scope, disable, list")
    us = p.add_subparsers(dest="users_command", required=True, parser_class=type(p))
    a = us.add_parser("add", help="thêm người dùng")
    a.add_argument("name")
    a.add_argument("--role", default="viewer",
                   help="viewer, presenter, analyst, editor, admin (mặc định viewer)")
    a.add_argument("--scope", default="",
                   help="all = toàn bộ dữ liệu; hoặc mã tỉnh/xã cách nhau bằng dấu phẩy")
    a.add_argument("--full-name", default=None)
    a.add_argument("--email", default=None, help="e-mail (đăng nhập OpenID Connect)")
    a.add_argument("--password-stdin", action="store_true",
                   help="đọc mật khẩu từ dòng đầu của stdin (cho script)")
    db_arg(a)
    s = us.add_parser("set-password", help="đặt mật khẩu mới")
    s.add_argument("name")
    s.add_argument("--password-stdin", action="store_true")
    db_arg(s)
    r = us.add_parser("set-role", help="đổi vai trò")
    r.add_argument("name")
    r.add_argument("role")
    db_arg(r)
    sc = us.add_parser("set-scope", help="đổi phạm vi dữ liệu")
    sc.add_argument("name")
    sc.add_argument("scope", help='all, hoặc mã đơn vị cách nhau bằng dấu phẩy, hoặc ""')
    db_arg(sc)
    d = us.add_parser("disable", help="khóa tài khoản (--enable để mở lại)")
    d.add_argument("name")
    d.add_argument("--enable", action="store_true")
    db_arg(d)
    li = us.add_parser("list", help="danh sách người dùng")
    li.add_argument("--format", choices=["csv", "json"], default="csv")
    db_arg(li)


def add_serve_parser(sub, db_arg) -> None:
    p = sub.add_parser("serve", help="chạy ứng dụng (mặc định chỉ trên máy này, 127.0.0.1)")
    p.add_argument("--address", default=None,
                   help="địa chỉ nghe (mặc định 127.0.0.1; địa chỉ khác cần có tài khoản)")
    p.add_argument("--port", type=int, default=None, help="cổng (mặc định 8501)")
    db_arg(p)


def _open(args):
    from dashboard import store

    return store.open_db(args.db) if getattr(args, "db", None) else store.open_db()


def _password(args, name: str) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    try:
        first = getpass.getpass(f"Mật khẩu cho «{name}»: ")
        again = getpass.getpass("Nhập lại mật khẩu: ")
    except (EOFError, KeyboardInterrupt):
        return None
    if first != again:
        print("Hai lần nhập mật khẩu không khớp.", file=sys.stderr)
        return None
    return first


def cmd_users(args) -> int:
    from dashboard.access import LOCAL, parse_scope, users

    db = _open(args)
    by = LOCAL.__class__(getpass.getuser() or "cli", "admin", None)
    c = args.users_command
    try:
        if c == "list":
            from dashboard.cli import print_frame

            print_frame(users.list_users(db), args.format)
            return EXIT_OK
        if c in ("add", "set-password"):
            pw = _password(args, args.name)
            if pw is None:
                return EXIT_USAGE
            if c == "add":
                users.add_user(db, args.name, pw, args.role, parse_scope(args.scope),
                               args.full_name, args.email, by=by)
                print(f"Đã thêm người dùng «{args.name.lower()}» ({args.role}, phạm vi "
                      f"{args.scope or '(không có)'}).")
            else:
                users.set_password(db, args.name, pw, by=by)
                print(f"Đã đặt mật khẩu mới cho «{args.name.lower()}».")
        elif c == "set-role":
            users.set_role(db, args.name, args.role, by=by)
            print(f"Đã đổi vai trò của «{args.name.lower()}» thành {args.role}.")
        elif c == "set-scope":
            users.set_scope(db, args.name, parse_scope(args.scope), by=by)
            print(f"Đã đổi phạm vi của «{args.name.lower()}» thành "
                  f"{args.scope or '(không có)'}.")
        elif c == "disable":
            users.set_disabled(db, args.name, not args.enable, by=by)
            print(("Đã mở lại" if args.enable else "Đã khóa") + f" «{args.name.lower()}».")
    except users.UserError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_DATA
    return EXIT_OK


def bind_principal(args, db=None) -> int | None:
    """Set the principal of a data command from --user / $DASHBOARD_USER. Returns an exit
    code when the command must not run, else None."""
    from dashboard.access import LOCAL, context, users
    from dashboard.store import database as store

    name = getattr(args, "user", None) or os.environ.get("DASHBOARD_USER") or None
    if db is None:
        path = Path(args.db) if getattr(args, "db", None) else store.default_db_path()
        if not path.exists():
            context.set_current(LOCAL, "cli")
            return None
        held = store._OPEN.get((str(path), False))
        db = held or store.open_db(path, read_only=args.command == "sql")
    if not users.any_users(db):
        context.set_current(LOCAL, "cli")
        return None
    if not name:
        print("Cơ sở dữ liệu này đã có tài khoản: chọn người dùng bằng --user TÊN (hoặc "
              "biến môi trường DASHBOARD_USER).", file=sys.stderr)
        return EXIT_USAGE
    p = users.get_principal(db, name)
    if p is None:
        print(f"Không có người dùng «{name}» (hoặc tài khoản đã bị khóa).", file=sys.stderr)
        return EXIT_USAGE
    context.set_current(p, "cli")
    return None


LOOPBACK = ("localhost",)


def is_loopback(address: str) -> bool:
    if address in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def cmd_serve(args) -> int:
    from dashboard.access import users
    from dashboard.store import database as store

    address = args.address or config.get("serve_address")
    port = args.port or int(config.get("serve_port"))
    path = Path(args.db) if args.db else store.default_db_path()
    if not is_loopback(address):
        has_users = False
        if path.exists():
            db = store.Database(path, read_only=True)
            try:
                has_users = users.any_users(db)
            finally:
                db.close()
        if not has_users:
            print(f"Không mở ứng dụng trên địa chỉ {address}: chưa có tài khoản nào, nên ai "
                  "trong mạng cũng xem và sửa được dữ liệu. Tạo tài khoản quản trị trước: "
                  "python -m dashboard users add TÊN --role admin --scope all", file=sys.stderr)
            return EXIT_USAGE
    app = Path(__file__).resolve().parent.parent / "web" / "app.py"
    root = app.parents[2]             # the project folder: its .streamlit/config.toml applies
    env = {**os.environ, "DASHBOARD_DB": str(path.resolve())}
    print(f"Mở ứng dụng tại http://{address}:{port} (cơ sở dữ liệu {path.name})")
    return subprocess.call([sys.executable, "-m", "streamlit", "run", str(app),
                            "--server.address", address, "--server.port", str(port)], env=env,
                           cwd=root if (root / ".streamlit").is_dir() else None)
