"""Every boundary pinned from both sides: the metric definitions at as_of (a cell that
starts or ends exactly on the date, a commune with 0 households) and each validation rule
of the import (a value equal to its limit, equal dates, each required value missing)."""
import datetime as dt

import pytest

from dashboard import contract, ingest
from dashboard.store import queries

UNITS = ("Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ\n"
         "24,Tỉnh Bắc Ninh,Tỉnh,,\n07210,Phường Bắc Giang,Phường,24,\n"
         "07210-01,Tổ dân phố 1,Thôn,07210,100\n07228,Xã Không Hộ,Xã,24,0\n")
CELL_HEAD = "Mã tổ,Tên tổ,Mã thôn/xã,Giai đoạn,Ngày thành lập,Ngày giải thể,Số thành viên," \
            "Số hộ phụ trách\n"


@pytest.fixture
def db(empty_db):
    r = ingest.import_bytes(empty_db, "units", UNITS.encode(), "u.csv")
    assert r.committed, r.summary_text()
    r = ingest.import_bytes(empty_db, "cells", (CELL_HEAD + "T1,Tổ 1,07210-01,Thí điểm,"
                                                "01/03/2024,01/06/2024,5,40\n").encode(),
                            "c.csv")
    assert r.committed, r.summary_text()
    return empty_db


def _kpi(db, day: dt.date):
    return queries.run(db, "kpi_overview", {"as_of": day.isoformat()}).iloc[0]


@pytest.mark.parametrize("day,active", [
    (dt.date(2024, 2, 29), 0),   # the day before it was established
    (dt.date(2024, 3, 1), 1),    # established on as_of: active
    (dt.date(2024, 5, 31), 1),   # the day before it ended
    (dt.date(2024, 6, 1), 0),    # ended on as_of: no longer active
])
def test_cell_active_on_the_boundary_days(db, day, active):
    k = _kpi(db, day)
    assert int(k.cells) == active and int(k.members) == 5 * active
    assert int(k.households_covered) == 40 * active


def test_commune_phase_starts_on_its_first_cell_day(db):
    def phase(day):
        df = queries.run(db, "pilot_vs_rollout", {"as_of": day.isoformat()})
        return dict(zip(df.phase, df.communes))

    assert phase(dt.date(2024, 2, 29)) == {"none": 2}
    assert phase(dt.date(2024, 3, 1)) == {"pilot": 1, "none": 1}
    assert phase(dt.date(2024, 7, 1)) == {"pilot": 1, "none": 1}   # ended cells count


def test_commune_with_zero_households_has_zero_coverage(db):
    df = queries.run(db, "coverage_by_unit", {"level": "commune", "as_of": "2024-03-01"})
    row = df.set_index("unit_code").loc["07228"]
    assert int(row.households) == 0 and float(row.coverage_pct) == 0.0
    assert float(df.set_index("unit_code").loc["07210"].coverage_pct) == pytest.approx(40.0)


def test_coverage_capped_at_the_village_households(db):
    r = ingest.import_bytes(db, "cells", (CELL_HEAD + "T2,Tổ 2,07210-01,Nhân rộng,01/03/2024,,"
                                          "6,61\n").encode(), "c2.csv")
    assert r.committed
    village = queries.run(db, "coverage_by_unit", {"level": "village", "as_of": "2024-03-01"})
    row = village.iloc[0]
    assert int(row.households_covered) == 100 and float(row.coverage_pct) == 100.0
    k = _kpi(db, dt.date(2024, 3, 1))
    assert int(k.households_covered) == 100


def _check(db, dataset: str, header: str, row: str):
    r = ingest.import_bytes(db, dataset, f"{header}\n{row}\n".encode(), "x.csv", dry_run=True)
    return r


CELLS_H = "Mã tổ,Tên tổ,Mã thôn/xã,Giai đoạn,Ngày thành lập,Ngày giải thể,Số thành viên," \
          "Số hộ phụ trách"
MODELS_H = "Mã mô hình,Tên mô hình,Lĩnh vực,Cấp,Mã đơn vị,Ngày bắt đầu,Ngày kết thúc," \
           "Số hộ hưởng lợi,Vĩ độ,Kinh độ"


@pytest.mark.parametrize("dataset,header,row,ok", [
    ("cells", CELLS_H, "T9,Tổ,07210-01,Thí điểm,01/03/2024,,1,40", True),       # members = 1
    ("cells", CELLS_H, "T9,Tổ,07210-01,Thí điểm,01/03/2024,,0,40", False),
    ("cells", CELLS_H, "T9,Tổ,07210-01,Thí điểm,01/03/2024,,5,0", True),        # 0 households
    ("cells", CELLS_H, "T9,Tổ,07210-01,Thí điểm,01/03/2024,,5,-1", False),
    ("cells", CELLS_H, "T9,Tổ,07210-01,Thí điểm,01/03/2024,01/03/2024,5,4", True),   # equal
    ("cells", CELLS_H, "T9,Tổ,07210-01,Thí điểm,01/03/2024,29/02/2024,5,4", False),
    ("cells", CELLS_H, "T9,Tổ,07210,Thí điểm,01/03/2024,,5,4", True),       # on a commune
    ("cells", CELLS_H, "T9,Tổ,24,Thí điểm,01/03/2024,,5,4", False),         # on a province
    ("models", MODELS_H, "M9,Mô hình,Kinh tế,Xã,07210,01/01/2024,01/01/2024,0,6,102", True),
    ("models", MODELS_H, "M9,Mô hình,Kinh tế,Xã,07210,01/01/2024,,,24,118", True),
    ("models", MODELS_H, "M9,Mô hình,Kinh tế,Xã,07210,01/01/2024,,,5.99,110", False),
    ("models", MODELS_H, "M9,Mô hình,Kinh tế,Xã,07210,01/01/2024,,,24.01,110", False),
    ("models", MODELS_H, "M9,Mô hình,Kinh tế,Xã,07210,01/01/2024,,,20,101.99", False),
    ("models", MODELS_H, "M9,Mô hình,Kinh tế,Xã,07210,01/01/2024,,,20,118.01", False),
    ("models", MODELS_H, "M9,Mô hình,Kinh tế,Xã,07210,01/01/2024,,,20,", False),   # both/none
    ("models", MODELS_H, "M9,Mô hình,Kinh tế,Xã,07210,01/01/2024,,-1,,", False),
    ("models", MODELS_H, "M9,Mô hình,Kinh tế,Xã,07210,02/01/2024,01/01/2024,,,", False),
    ("units", "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ,Số nhân khẩu",
     "07210-02,Tổ 2,Thôn,07210,0,0", True),                                  # 0 households
    ("units", "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ,Số nhân khẩu",
     "07210-02,Tổ 2,Thôn,07210,,", False),                                   # village: needed
    ("units", "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ,Số nhân khẩu",
     "07210-02,Tổ 2,Thôn,07210,5,-1", False),
    ("units", "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ,Số nhân khẩu",
     "07299,Xã mới,Xã,,,", False),                                           # no parent
    ("units", "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ,Số nhân khẩu",
     "07299,Xã mới,Xã,07228,,", False),                                      # same level
    ("indicators", "Mã đơn vị,Kỳ,Chỉ số,Giá trị", "07210,12/2024,x,0", True),
    ("indicators", "Mã đơn vị,Kỳ,Chỉ số,Giá trị", "07210,13/2024,x,0", False),
])
def test_validation_rule_from_both_sides(db, dataset, header, row, ok):
    r = _check(db, dataset, header, row)
    assert r.ok is ok, r.summary_text()


def _full_rows() -> dict[str, tuple[str, dict[str, str]]]:
    return {
        "units": ("07210-03", {"unit_code": "07210-03", "unit_name": "Tổ 3", "level": "Thôn",
                               "parent_code": "07210", "households": "5"}),
        "cells": ("T9", {"cell_id": "T9", "cell_name": "Tổ", "unit_code": "07210-01",
                         "phase": "Thí điểm", "established_on": "01/03/2024",
                         "members": "5", "households_covered": "4"}),
        "models": ("M9", {"model_id": "M9", "model_name": "Mô hình", "field": "Kinh tế",
                          "level": "Xã", "unit_code": "07210", "started_on": "01/01/2024"}),
        "indicators": ("07210", {"unit_code": "07210", "period": "2024-01",
                                 "indicator": "x", "value": "1"}),
    }


@pytest.mark.parametrize("dataset,column", [
    (ds.name, c.name) for ds in contract.DATASETS.values() for c in ds.columns if c.required])
def test_each_required_value_missing_is_refused(db, dataset, column):
    ds = contract.DATASETS[dataset]
    _, values = _full_rows()[dataset]
    cols = [c for c in ds.columns if c.name in values]
    header = ",".join(c.label for c in cols)
    full = ",".join(values[c.name] for c in cols)
    assert _check(db, dataset, header, full).ok           # the complete row passes
    gap = ",".join("" if c.name == column else values[c.name] for c in cols)
    r = _check(db, dataset, header, gap)
    assert not r.ok
    assert ds.column(column).label in {p.column for p in r.errors}
