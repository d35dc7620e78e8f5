"""Names, not codes, and one number format per column: the unit search, the commune choice
labels, which commune Hồ sơ xã opens, table display (decimals, parent names, link labels)."""
import pandas as pd
import pytest

from dashboard.analysis.search import commune_option_label, units_matching
from dashboard.i18n import fmt
from dashboard.web import urlstate

UNITS = pd.DataFrame({"unit_code": ["07210", "07228", "07246-01"],
                      "unit_name": ["Xã Tiên Du", "Phường Đa Mai", "Khu phố 4"],
                      "parent_name": ["Tỉnh Bắc Ninh", "Tỉnh Bắc Ninh", "Xã Xuân Lương"]})


@pytest.mark.parametrize("query,codes", [
    ("Tien Du", ["07210"]), ("tiên du", ["07210"]), ("TIEN", ["07210"]), ("0722", ["07228"]),
    ("xuan luong", ["07246-01"]), ("khu pho 4", ["07246-01"]), ("du tien", ["07210"]),
    ("ien du", []), ("", ["07210", "07228", "07246-01"])])
def test_units_matching_ignores_diacritics_and_case(query, codes):
    assert units_matching(UNITS, query)["unit_code"].tolist() == codes


def test_commune_choice_labels_carry_the_plain_name():
    assert commune_option_label("07210", "Xã Tiên Du") == "Xã Tiên Du (07210) · Xa Tien Du"
    assert commune_option_label("1", "Ban Mai") == "Ban Mai (1)"     # nothing to add
    assert commune_option_label("1", None) == "1 (1)"


@pytest.mark.parametrize("wanted,chosen,effective,expected", [
    (None, [], None, None),                         # nothing chosen: the page asks
    (None, ["B", "A"], ["B", "A"], "B"),            # the first chosen, not the first by code
    (None, ["B", "A"], ["A"], "A"),                 # phase narrowing removed B
    (None, [], ["C", "B"], "C"),                    # only a phase chosen
    ("A", ["B"], ["B"], "A"),                       # a link decides
    ("Z", ["B"], ["B"], "B"),                       # an unknown link does not
])
def test_which_commune_the_profile_opens(wanted, chosen, effective, expected):
    default, options = urlstate.profile_commune(wanted, ["A", "B", "C"], chosen, effective)
    assert default == expected
    assert sorted(options) == ["A", "B", "C"]
    if effective:
        assert options[0] == (expected if expected in effective else options[0])


def test_one_number_of_decimals_per_column():
    from dashboard.web import ui

    df = pd.DataFrame({"pct": [32.51, 75.2, 0.0], "n": [16857, 3, 0],
                       "small": [0.05, 0.5, 0.25], "gap": [1.5, None, 2.0]})
    styled = ui.vi_style(df)
    html = styled.to_html()
    for text in ("32,5", "75,2", "0,0", "16.857", "0,05", "0,50"):
        assert f">{text}<" in html, text
    assert "32,51" not in html and ">0,0500<" not in html
    assert list(styled.data["gap"]) == ["1,5", fmt.MISSING, "2,0"]


def test_parent_name_sits_beside_its_code():
    from dashboard.web import ui

    df = pd.DataFrame({"unit_code": ["a"], "parent_code": ["07210"], "households": [1],
                       "parent_name": ["Xã Tiên Du"]})
    assert list(ui.with_parent_names(df).columns) == ["unit_code", "parent_code", "parent_name",
                                                      "households"]


def test_profile_links_are_labelled(monkeypatch):
    from dashboard.web import ui

    seen = {}
    monkeypatch.setattr(ui.st, "dataframe", lambda data, **kw: seen.update(kw, data=data))
    monkeypatch.setattr(ui, "downloads", lambda *a, **k: None)
    monkeypatch.setattr(ui, "_page_exists", lambda f: True)
    ui.table(pd.DataFrame({"unit_code": ["07210"], "unit_name": ["Xã Tiên Du"]}), key="t",
             commune_link="unit_code")
    link = seen["column_config"][ui.PROFILE_COLUMN]
    assert link["type_config"]["display_text"] == "Mở hồ sơ"


def test_coordinates_read_as_two_numbers():
    assert fmt.coordinates(21.3647, 106.27) == "21,3647° B; 106,2700° Đ"
    assert fmt.coordinates(None, 106.27) == fmt.MISSING


def test_contract_codes_are_shown_by_their_labels():
    from dashboard.web import ui

    df = pd.DataFrame({"unit_level": ["village", "commune"], "phase": ["pilot", "rollout"],
                       "field": ["economy", None], "households": [1, 2]})
    out = ui.with_enum_labels(df)
    assert out["unit_level"].tolist() == ["Thôn", "Xã"]
    assert out["phase"].tolist() == ["Thí điểm", "Nhân rộng"]
    assert out["field"].tolist()[0] == "Kinh tế" and pd.isna(out["field"].tolist()[1])
    assert df["unit_level"].tolist() == ["village", "commune"]     # the data is not changed


def test_coverage_tables_show_names_not_codes(demo_copy, monkeypatch):
    from conftest import run_page

    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    at = run_page("../pages/coverage.py", muc="Theo thôn, tổ dân phố", as_of="2025-06-30")
    table = at.dataframe[0].value
    assert {"Mã xã", "Xã, phường", "Hồ sơ xã"} <= set(table.columns)
    cols = list(table.columns)
    assert cols.index("Xã, phường") == cols.index("Mã xã") + 1
    assert table["Xã, phường"].str.startswith(("Xã ", "Phường ")).all()
    at = run_page("../pages/coverage.py", muc="Khoảng trống", as_of="2025-06-30")
    for df in (d.value for d in at.dataframe):
        for col in ("Cấp", "Giai đoạn"):
            if col in df.columns:
                assert not df[col].isin(["village", "commune", "pilot", "rollout"]).any()


@pytest.mark.parametrize("tab", ["Theo xã, phường", "Theo thôn, tổ dân phố", "Phân bố",
                                 "Khoảng trống", "Kế hoạch bổ sung tổ"])
def test_every_coverage_tab_builds(demo_copy, monkeypatch, tab):
    from conftest import run_page

    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    at = run_page("../pages/coverage.py", muc=tab, as_of="2025-06-30")
    assert not at.exception and (at.dataframe or at.get("plotly_chart"))


def test_number_texts_equal_babel():
    """number(), fixed() and numbers() print what Babel's vi_VN patterns print (they format
    without Babel for speed), on whole numbers, floats, Decimals, numpy values, signed zeros,
    values rounding to zero and missing cells."""
    import random
    from decimal import Decimal

    import numpy as np

    def babel(value, digits, exact):
        if fmt._missing(value):
            return fmt.MISSING
        pattern = "#,##0" + ("." + ("0" if exact else "#") * digits if digits else "")
        return fmt._apply(pattern, fmt.round_half_up(value, digits))

    rng = random.Random(7)
    values = [0, 0.0, -0.0, -0.04, 0.04, 0.05, -0.05, 2.5, -2.5, 1234.45, 0.125, 999.95,
              -999.95, 1e15, 1e-7, 10**18, -10**18, Decimal("1.005"), np.int64(-12345),
              np.float64(3.25), np.int32(7), 123456789012.345]
    values += [rng.randint(-10**9, 10**9) for _ in range(300)]
    values += [round(rng.uniform(-1e6, 1e6), rng.randint(0, 4)) for _ in range(300)]
    values += [rng.uniform(-2, 2) for _ in range(300)]
    for digits in range(4):
        for exact, one in ((False, fmt.number), (True, fmt.fixed)):
            want = [babel(v, digits, exact) for v in values]
            assert [one(v, digits) for v in values] == want, (digits, exact)
            col = values + [None, float("nan"), pd.NA, -0.0, 0]
            want += [fmt.MISSING] * 3 + [babel(-0.0, digits, exact), babel(0, digits, exact)]
            assert fmt.numbers(col, digits, exact) == want
            assert fmt.numbers(pd.Series(col, dtype=object), digits, exact) == want
    assert fmt.numbers(pd.Series([1.5, None, 2.0]), 1, exact=True) == ["1,5", fmt.MISSING,
                                                                        "2,0"]
    assert fmt.numbers([], 1) == []
    # a column of whole numbers only (its own faster path), with and without gaps
    whole = [0, -1, 7, 999, 1000, -1000, 10**18, -10**18, np.int64(-12345), np.int32(7)] + [
        rng.randint(-10**12, 10**12) for _ in range(300)]
    for digits in range(4):
        for exact in (False, True):
            want = [babel(v, digits, exact) for v in whole]
            assert fmt.numbers(pd.Series(whole, dtype=object), digits, exact) == want
            assert fmt.numbers(whole + [None], digits, exact) == want + [fmt.MISSING]
    assert fmt.numbers(pd.Series([3, 1234567], dtype="int64"), 0) == ["3", "1.234.567"]
