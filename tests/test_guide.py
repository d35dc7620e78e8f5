"""Hướng dẫn: every section-4 metric, every norm and the methods, with examples computed by the
product's own code (change the example's data and the example changes), linked from every
KPI card's '?'."""
import pytest
from conftest import run_page

from dashboard import config
from dashboard.i18n import fmt
from dashboard.output import guide


def test_every_metric_norm_and_method_has_a_formula_and_an_example():
    keys = {t.key for t in guide.topics()}
    assert {"active_cells", "village_covered", "commune_households", "coverage_pct",
            "uncovered_households", "per_cell", "commune_phase", "models", "levels",
            "planner", "ratio_ci", "did", "evidence", "cohorts"} <= keys
    analysis = {s.name for s in config.SETTINGS if s.group == "analysis"}
    assert {f"norm_{n}" for n in analysis} <= keys, "a norm of config.py has no guide entry"
    for t in guide.topics():
        assert t.text and t.formula, t.key
        if t.group != "Định mức":
            assert t.example, t.key


def test_examples_come_from_the_queries():
    ex = guide.example()
    c = ex["commune"]
    # the tiny example: Thôn Đông 100 hộ capped from 110, T4 attached to the commune (20),
    # T3 ended on the as-of date (not active), T5 founded after it
    assert (int(c.households), int(c.households_covered)) == (150, 120)
    topic = {t.key: t for t in guide.topics()}
    assert f"= {fmt.percent(c.coverage_pct)}" in topic["coverage_pct"].example
    assert "T3 (thành lập 01/03/2024, giải thể 30/06/2024): không tính" in \
        topic["active_cells"].example
    assert f"{config.get('households_per_cell')} hộ" in topic["norm_households_per_cell"].text
    assert "⌈30 / 40⌉ = 1 tổ" in topic["planner"].example
    assert "tác động ước lượng 3,00" in topic["did"].example     # the true gain is 3
    assert "Chưa đủ xã để kết luận" in topic["evidence"].example


def test_changing_the_example_changes_the_figures(monkeypatch):
    """Not hard-coded: drop the cell attached to the commune and coverage falls to 100/150."""
    monkeypatch.setattr(guide, "EXAMPLE_CELLS", "\n".join(
        line for line in guide.EXAMPLE_CELLS.splitlines() if not line.startswith("T4")) + "\n")
    guide.example.cache_clear()
    try:
        topic = {t.key: t for t in guide.topics()}
        assert "100 × 100 / 150 = 66,7%" in topic["coverage_pct"].example
    finally:
        guide.example.cache_clear()


def test_help_link():
    assert guide.help_link("coverage_pct", "Hộ / tổng") == \
        "Hộ / tổng\n\n[Cách tính và ví dụ trong Hướng dẫn](huong-dan?muc=coverage_pct)"
    assert guide.help_link(None, "x") == "x"
    assert guide.topic_for("Độ phủ hộ gia đình") == "coverage_pct"


@pytest.fixture
def on_demo(demo_copy, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))


def test_every_kpi_card_of_overview_links_to_the_guide(on_demo):
    at = run_page("../pages/overview.py", as_of="2026-10-31")
    helps = [m.help or "" for m in at.metric]
    assert len(helps) == 8
    assert all("huong-dan?muc=" in h for h in helps), helps
    topics = {t.key for t in guide.topics()}
    for h in helps:
        assert h.split("huong-dan?muc=")[1].rstrip(")") in topics


def test_guide_page_opens_the_asked_topic_first(on_demo):
    at = run_page("../pages/guide.py", muc="coverage_pct")
    assert at.title[0].value == "Hướng dẫn"
    heads = [h.value for h in at.subheader]
    assert heads[0] == "Độ phủ hộ gia đình"
    assert len(heads) == len(guide.topics())
    assert [t.label for t in at.tabs] == ["Chỉ số", "Định mức", "Phương pháp"]


def test_the_example_leaves_no_file_behind(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    guide.example.cache_clear()
    try:
        guide.example()
    finally:
        guide.example.cache_clear()
    assert list(tmp_path.iterdir()) == []
