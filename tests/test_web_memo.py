"""ui.per_run: an answer is asked once per script run, and again on the next run."""
from streamlit.testing.v1 import AppTest


def _script():
    import streamlit as st

    from dashboard.web import ui

    st.session_state.setdefault("asked", 0)

    def ask():
        st.session_state["asked"] += 1
        return st.session_state["asked"]

    if st.session_state.get("mark", True):
        ui.start_run()
    answers = [ui.per_run("q", ask) for _ in range(3)]
    other = ui.per_run("other", lambda: "x")
    st.write(f"{answers} {other}")


def test_asked_once_per_run_and_again_next_run():
    at = AppTest.from_function(_script)
    at.run()
    assert at.markdown[0].value == "[1, 1, 1] x"
    at.run()                                     # a new run asks again
    assert at.markdown[0].value == "[2, 2, 2] x"


def test_without_a_run_mark_every_call_asks():
    at = AppTest.from_function(_script)
    at.session_state["mark"] = False
    at.run()
    assert at.markdown[0].value == "[1, 2, 3] x"
