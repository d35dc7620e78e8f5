"""Hướng dẫn: every metric, norm and method in plain Vietnamese, with its formula and a worked
example computed by the product's own code (dashboard/output/guide.py). KPI cards link here
with ?muc=<topic>."""
import io

import pandas as pd
import streamlit as st

from dashboard.output import guide

st.title("Hướng dẫn")
st.markdown("Mỗi con số của bảng điều khiển được tính như sau. Các ví dụ dùng một **tỉnh ví dụ "
            "rất nhỏ** (một xã, hai thôn, năm tổ, hai mô hình) và được chính phần mềm tính, "
            f"tại ngày {guide.EXAMPLE_AS_OF:%d/%m/%Y}, bằng đúng các truy vấn dùng cho số liệu "
            "thật.")

with st.spinner("Đang tính các ví dụ…"):
    topics = guide.topics()
by_key = {t.key: t for t in topics}
wanted = st.query_params.get("muc")


def show(t: guide.Topic, highlight: bool = False) -> None:
    box = st.container(border=True)
    with box:
        st.subheader(t.title, anchor=t.key)
        if highlight:
            st.caption("Mục bạn vừa mở từ dấu «?» của thẻ số liệu.")
        st.write(t.text)
        st.markdown("**Công thức**")
        st.code(t.formula, language=None, wrap_lines=True)
        if t.example:
            st.markdown("**Ví dụ**")
            st.success(t.example, icon=":material/calculate:")
        if t.source:
            st.caption(f"Trong mã nguồn: {t.source}")


if wanted in by_key:
    show(by_key[wanted], highlight=True)

with st.expander("Dữ liệu của tỉnh ví dụ", icon=":material/table:"):
    for label, text in (("Đơn vị", guide.EXAMPLE_UNITS), ("Tổ", guide.EXAMPLE_CELLS),
                        ("Mô hình", guide.EXAMPLE_MODELS)):
        st.markdown(f"**{label}**")
        st.dataframe(pd.read_csv(io.StringIO(text), dtype=str).fillna(""), hide_index=True,
                     width="stretch")

groups = list(dict.fromkeys(t.group for t in topics))
tabs = st.tabs(groups)
for tab, group in zip(tabs, groups):
    with tab:
        for t in topics:
            if t.group == group and t.key != wanted:
                show(t)
