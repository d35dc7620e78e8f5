"""The contract drives DDL, header matching and enum matching."""
from dashboard import contract, ingest
from dashboard.i18n import fmt, text


def test_fold_ignores_case_accents_spaces_punctuation():
    assert text.fold("Số hộ phụ trách") == text.fold("so_ho_phu_trach") == "sohophutrach"
    assert text.fold("ĐẶC KHU") == "dackhu"


def test_headers_match_name_or_label():
    mapping, problems = ingest.map_headers(contract.CELLS, [
        "MÃ TỔ", "ten_to", "Mã thôn / xã", "giai doan", "Ngày thành lập", "members",
        "So ho phu trach"])
    assert not problems
    assert set(mapping.values()) == {"cell_id", "cell_name", "unit_code", "phase",
                                     "established_on", "members", "households_covered"}


def test_enum_labels_resolve_to_codes():
    lookup = contract.UNITS.column("level").enum_lookup()
    assert lookup[text.fold("Tổ dân phố")] == "village"
    assert lookup[text.fold("phường")] == "commune"
    assert contract.MODELS.column("field").enum_lookup()[text.fold("Quốc phòng – an ninh")] == \
        "defense_security"


def test_ddl_has_every_column_and_key():
    for ds in contract.DATASETS.values():
        ddl = ds.ddl()
        for c in ds.columns:
            assert f"{c.name} {c.sql_type}" in ddl
        assert f"PRIMARY KEY ({', '.join(ds.key)})" in ddl


def test_vietnamese_number_formats():
    assert fmt.number(1234567.8, 1) == "1.234.567,8"
    assert fmt.percent(45.678) == "45,7%"
    assert fmt.date("2025-07-01") == "01/07/2025"
