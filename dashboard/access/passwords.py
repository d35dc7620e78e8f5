"""Password hashes (Argon2id, argon2-cffi) and the minimum strength of a password.

Hash parameters are settings (argon2_time_cost, argon2_memory_kib, argon2_parallelism); a
hash made with older parameters is still verified and is re-hashed at the next login.
"""
from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from dashboard import config

# The most common passwords (and their Vietnamese favourites); refused whatever their length.
COMMON = {
    "password", "password1", "password123", "123456789", "1234567890", "12345678910",
    "qwertyuiop", "qwerty123", "abc123456", "iloveyou", "admin123", "administrator",
    "matkhau", "matkhau123", "matkhau@123", "12345678", "11111111", "00000000", "abcd1234",
    "anhyeuem", "anhyeuem123", "vietnam", "vietnam123", "danvan", "danvan123", "123456aA@",
    "Abc@12345", "Admin@123", "Password@123", "P@ssw0rd", "P@ssword1", "Matkhau@123",
}


def hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=int(config.get("argon2_time_cost")),
                          memory_cost=int(config.get("argon2_memory_kib")),
                          parallelism=int(config.get("argon2_parallelism")))


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


_DUMMY: str | None = None


def burn_time(password: str) -> None:
    """Verify against a dummy hash: an unknown user name takes as long as a wrong password."""
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = hash_password("dummy password that nobody has")
    verify(_DUMMY, password)


def _classes(pw: str) -> int:
    return sum(bool(re.search(p, pw)) for p in (r"[a-zà-ỹđ]", r"[A-ZÀ-ỸĐ]", r"\d",
                                                 r"[^\w\s]|_|\s"))


def problems(password: str, username: str = "") -> list[str]:
    """Why a password is too weak (Vietnamese); [] when it is strong enough."""
    out = []
    n = int(config.get("password_min_length"))
    k = int(config.get("password_min_classes"))
    pw = password or ""
    if len(pw) < n:
        out.append(f"mật khẩu phải dài ít nhất {n} ký tự")
    if _classes(pw) < k:
        out.append(f"mật khẩu phải có ít nhất {k} trong 4 loại ký tự: chữ thường, chữ hoa, "
                   "chữ số, ký tự khác")
    low = pw.lower()
    if pw in COMMON or low in {c.lower() for c in COMMON}:
        out.append("mật khẩu này quá phổ biến")
    if username and len(username) >= 3 and username.lower() in low:
        out.append("mật khẩu không được chứa tên đăng nhập")
    if pw and len(set(pw)) <= 2:
        out.append("mật khẩu không được chỉ lặp lại một hai ký tự")
    return out
