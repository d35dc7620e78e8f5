"""Shareable views: a page's own settings come from the URL and go back into it."""
import pytest
from conftest import run_page


@pytest.fixture
def env(demo_copy, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))


def test_coverage_settings_restored_from_a_link(env):
    at = run_page("../pages/coverage.py", cov_target="80", cov_norm_hh="35",
                  cov_members="4,7", cov_q_communes="Đa Mai")
    assert at.number_input(key="cov_target").value == 80.0
    assert at.number_input(key="cov_norm_hh").value == 35
    assert at.slider(key="cov_members").value == (4, 7)
    assert at.text_input(key="cov_q_communes").value == "Đa Mai"
    value = at.query_params["cov_target"]
    assert float(value[0] if isinstance(value, list) else value) == 80.0


def test_coverage_changes_go_into_the_url(env):
    at = run_page("../pages/coverage.py")
    assert "cov_target" not in at.query_params
    at.number_input(key="cov_target").set_value(90.0).run()
    assert not at.exception
    value = at.query_params["cov_target"]
    assert float(value[0] if isinstance(value, list) else value) == 90.0
    at.number_input(key="cov_target").set_value(100.0).run()
    assert "cov_target" not in at.query_params     # back to the default: the link stays short


def test_evaluation_choices_restored_from_a_link(env):
    at = run_page("../pages/evaluation.py", ev_horizon="24", ev_view="cohort",
                  ev_window="6", ev_indicator="antt_incidents")
    assert at.selectbox(key="ev_indicator").value == "antt_incidents"
    assert at.selectbox(key="ev_window").value == 6
    assert at.session_state["ev_view"] == "cohort"
    assert at.session_state["ev_horizon"] == 24


@pytest.mark.parametrize("tab,expect", [
    ("Theo thôn, tổ dân phố", "--param level=village"),
    ("Phân bố", "coverage_cells"),
    ("Khoảng trống", "tổ quá tải"),
    ("Kế hoạch bổ sung tổ", "hộ còn thiếu")])
def test_coverage_tab_from_the_url_is_the_one_built(env, tab, expect):
    at = run_page("../pages/coverage.py", muc=tab)
    text = " ".join([m.value for m in at.markdown] + [s.value for s in at.subheader]
                    + [c.value for c in at.caption] + [e.label for e in at.expander])
    assert expect.lower() in text.lower(), text[:2000]


def test_hidden_coverage_tabs_are_not_built(env):
    at = run_page("../pages/coverage.py")
    text = " ".join([m.value for m in at.markdown] + [s.value for s in at.subheader])
    assert "quá tải" not in text.lower() and "hộ còn thiếu" not in text.lower()
    assert len(at.dataframe) == 1


def test_map_drill_down_links_to_the_commune_profile(env):
    at = run_page("../pages/map.py", xa="07228")
    links = [el for el in at.get("page_link")]
    assert links, "a selected commune offers its profile"
    proto = links[0].proto
    assert "ho-so-xa" in proto.page or "commune.py" in proto.page
    assert "commune=07228" in proto.query_string or "07228" in str(proto)
