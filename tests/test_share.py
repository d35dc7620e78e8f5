"""Page state <-> URL query parameters (dashboard/urlstate.py)."""
import datetime as dt

from dashboard.web import urlstate


def test_encode_types():
    assert urlstate.encode({"as_of": dt.date(2025, 6, 30), "communes": ["25111", "25114"],
                         "slide": 3, "full": False, "level": "village", "empty": [],
                         "none": None, "blank": ""}) == {
        "as_of": "2025-06-30", "communes": "25111,25114", "slide": "3", "full": "0",
        "level": "village"}
    assert urlstate.encode({"as_of": dt.datetime(2025, 6, 30, 14, 5)}) == {"as_of": "2025-06-30"}


def test_decode_types_and_bad_values_dropped():
    params = {"as_of": "2025-06-30", "communes": "25111, 25114,", "slide": "2",
              "full": "0", "other": "x"}
    assert urlstate.decode(params, types={"full": "bool"}) == {
        "as_of": dt.date(2025, 6, 30), "communes": ["25111", "25114"], "slide": 2,
        "full": False, "other": "x"}
    bad = {"as_of": "30/06/2025", "slide": "hai", "communes": ",", "full": "maybe"}
    assert urlstate.decode(bad, types={"full": "bool"}) == {}


def test_decode_only_requested_keys_and_list_values():
    params = {"slide": ["1", "4"], "communes": ["25111", "25114"], "as_of": "2025-01-31"}
    assert urlstate.decode(params, keys=["slide", "communes", "missing"]) == {
        "slide": 4, "communes": ["25111", "25114"]}


def test_round_trip():
    state = {"as_of": dt.date(2024, 12, 31), "communes": ["25111"], "slide": 5,
             "level": "commune"}
    assert urlstate.decode(urlstate.encode(state)) == state


def test_share_url_keeps_page_path_and_readable_commas():
    url = urlstate.share_url("http://127.0.0.1:8501/trinh-chieu?slide=1#x",
                          {"slide": 2, "as_of": dt.date(2025, 6, 30),
                           "communes": ["25111", "25114"]})
    assert url == ("http://127.0.0.1:8501/trinh-chieu?slide=2&as_of=2025-06-30"
                   "&communes=25111,25114")
    assert urlstate.query_string({"unit": "Xã Đông"}) == "unit=X%C3%A3%20%C4%90%C3%B4ng"


def test_changed_and_apply_write_only_differences():
    current = {"as_of": "2025-06-30", "slide": "1", "communes": "25111"}
    state = {"as_of": dt.date(2025, 6, 30), "slide": 2, "communes": None}
    assert urlstate.changed(current, state) == {"slide": "2", "communes": ""}
    qp = dict(current)
    assert urlstate.apply(qp, state) is True
    assert qp == {"as_of": "2025-06-30", "slide": "2"}
    assert urlstate.apply(qp, state) is False
