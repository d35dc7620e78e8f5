"""Mô hình "Dân vận khéo": registry search with facets, overview charts, gaps, duplicates,
spread and a model's card. Layout of each tab in dashboard/web/models_view.py; figures from
the models_* named queries."""
import streamlit as st

from dashboard.web import models_view, ui

f = ui.filters()
params = {"as_of": f["as_of"], "communes": f["communes"]}

st.title('Mô hình "Dân vận khéo"')
ui.demo_banner()
st.caption(ui.filter_caption(f) + " · Có những mô hình nào, ở đâu, lĩnh vực nào, mô hình nào "
           "lan rộng và nơi nào còn trống?")

view = models_view.registry_view(f)
if not len(view):
    st.info("Chưa có mô hình nào trong dữ liệu. Vào trang **Dữ liệu** để tải lên danh sách mô "
            "hình Dân vận khéo.")
    st.stop()

tabs = st.tabs(models_view.TABS, key="tab", bind="query-params", on_change="rerun")
for tab, draw in zip(tabs, (models_view.registry, models_view.overview, models_view.gaps,
                            models_view.duplicates, models_view.spread, models_view.card)):
    with tab:
        if tab.open:       # only the selected tab is built
            draw(view, f, params)
