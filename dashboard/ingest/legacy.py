"""Pre-2025 commune codes → the 2025 communes, through the official conversion
(reference tables ref_legacy_communes and ref_crosswalk).

Since 1 July 2025 most new communes kept the code of one of the old communes merged into them,
so a 5-digit code can be both an old and a new code. The rule used by the import:
- a code that is one of the user's units is taken as it is (a 2025 code);
- otherwise, when it is an old commune code, it is converted: an old commune merged whole into
  one new commune gets that commune's code; an old commune SPLIT between several new communes
  is never assigned silently — the user chooses the new commune for it (`choices`);
- `force=True` (the user says "this file uses the old codes") converts every old code, even
  one that is also a current unit code.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Target:
    code: str
    name: str
    is_default: bool = False
    in_units: bool = False


@dataclass
class LegacyCommune:
    old_code: str
    old_name: str
    old_district: str
    old_province: str
    targets: list[Target] = field(default_factory=list)

    @property
    def divided(self) -> bool:
        return len(self.targets) > 1

    @property
    def label(self) -> str:
        return f"{self.old_name}, {self.old_district}, {self.old_province} (mã cũ {self.old_code})"

    def default_target(self) -> Target | None:
        return next((t for t in self.targets if t.is_default), None)


def _pad(code: str) -> str:
    code = str(code).strip()
    return code.zfill(5) if code.isdigit() and len(code) < 5 else code


def lookup(db, codes, unit_codes=None) -> dict[str, LegacyCommune]:
    """Old commune code (as given, padded to 5 digits) -> LegacyCommune with its 2025 targets.
    Codes that are not old commune codes are left out."""
    wanted = sorted({_pad(c) for c in codes if c is not None and str(c).strip().isdigit()})
    if not wanted:
        return {}
    unit_codes = set(unit_codes or ())
    cur = db.cursor()
    try:
        rows = cur.execute("""
            SELECT l.old_commune_code, l.old_commune_name, l.old_district_name,
                   l.old_province_name, x.new_commune_code, n.commune_name, x.is_default
            FROM ref_legacy_communes l
            JOIN ref_crosswalk x ON x.old_commune_code = l.old_commune_code
            LEFT JOIN ref_communes n ON n.commune_code = x.new_commune_code
            WHERE list_contains(?, l.old_commune_code)
            ORDER BY l.old_commune_code, x.is_default DESC, x.new_commune_code""",
                           [wanted]).fetchall()
    finally:
        cur.close()
    out: dict[str, LegacyCommune] = {}
    for old, old_name, district, province, new, new_name, default in rows:
        item = out.setdefault(old, LegacyCommune(old, old_name, district or "", province or ""))
        item.targets.append(Target(new, new_name or new, bool(default), new in unit_codes))
    return out


@dataclass
class Conversion:
    """One old code found in a file and what it became."""
    old_code: str
    old_label: str
    new_code: str | None
    new_name: str | None
    rows: list[int]
    divided: bool = False
    chosen: bool = False   # the user picked the target of a split commune

    def as_dict(self) -> dict:
        return {"old_code": self.old_code, "old_label": self.old_label,
                "new_code": self.new_code, "new_name": self.new_name, "rows": len(self.rows),
                "divided": self.divided, "chosen": self.chosen}


def conversions_frame(conversions: list[Conversion]) -> pd.DataFrame:
    """The conversion report as a table with Vietnamese headers."""
    return pd.DataFrame(
        [{"Mã cũ": c.old_code, "Đơn vị cũ": c.old_label,
          "Mã mới (2025)": c.new_code or "", "Đơn vị mới": c.new_name or "",
          "Số dòng": len(c.rows),
          "Cách chuyển": ("xã cũ bị chia — theo lựa chọn của người dùng" if c.chosen else
                          "xã cũ bị chia — chưa chọn" if c.divided else "sáp nhập nguyên xã")}
         for c in conversions],
        columns=["Mã cũ", "Đơn vị cũ", "Mã mới (2025)", "Đơn vị mới", "Số dòng", "Cách chuyển"])
