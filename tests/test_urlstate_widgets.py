"""Widget state <-> URL helpers of dashboard/web/urlstate.py (the one URL-state module; ui.py
and the pages delegate to it), on plain mappings as st.query_params and st.session_state."""
from dashboard.web import urlstate


class Params(dict):
    """A stand-in for st.query_params: get_all and list values."""

    def get(self, key, default=None):
        v = super().get(key, default)
        return v[-1] if isinstance(v, list) and v else v

    def get_all(self, key):
        v = super().get(key, [])
        return list(v) if isinstance(v, list) else [v]


def test_url_value_casts_and_falls_back():
    qp = Params(n="12", r="5,8", b="1", x="abc", lst="a,b,z")
    assert urlstate.url_value(qp, "n", 40) == 12
    assert urlstate.url_value(qp, "r", (5, 8)) == (5, 8)
    assert urlstate.url_value(qp, "b", False) is True
    assert urlstate.url_value(qp, "x", 3) == 3                 # does not parse: default
    assert urlstate.url_value(qp, "missing", "d") == "d"
    assert urlstate.url_value(qp, "lst", [], allowed={"a", "b"}) == ["a", "b"]


def test_seed_widget_from_repeated_params_only_once():
    qp, state = Params(f=["Kinh tế, xã hội", "b"], m="M1"), {}
    urlstate.seed_widget(state, qp, "f", multi=True, allowed={"Kinh tế, xã hội"})
    assert state["f"] == ["Kinh tế, xã hội"]                  # commas inside values kept
    urlstate.seed_widget(state, qp, "m", allowed={"M2"}, default="M2")
    assert state["m"] == "M2"
    state["m"] = "M9"
    urlstate.seed_widget(state, qp, "m")                       # already drawn: untouched
    assert state["m"] == "M9"


def test_sync_and_keep_in_url_write_only_differences():
    qp = Params(a="1", gone="x")
    urlstate.sync_params(qp, {"a": "1", "gone": None, "lst": ["x", "y"], "empty": []})
    assert dict(qp) == {"a": "1", "lst": "x,y"}
    state = {"hh": 40, "flag": True, "q": ""}
    urlstate.keep_in_url(qp, state, {"hh": 40, "flag": False, "q": "", "absent": 1})
    assert dict(qp) == {"a": "1", "lst": "x,y", "flag": "1"}
    urlstate.write_repeated(qp, "f", ["a", "b"])
    assert qp.get_all("f") == ["a", "b"]
    urlstate.write_repeated(qp, "f", [])
    assert "f" not in qp
