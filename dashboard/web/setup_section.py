"""The Data page's «Bắt đầu với tỉnh của bạn» block: clear the demo (or any data) and start
with a province of the official list, or add a province on a national board. Layout only;
the work is done by dashboard/store/province.py (shared with `python -m dashboard reset`)."""
from __future__ import annotations

import streamlit as st

from dashboard.access import principal
from dashboard.i18n import fmt
from dashboard.store import province
from dashboard.web import ui

TITLE = "Bắt đầu với tỉnh của bạn"


def _who() -> principal.Principal:
    return st.session_state.get("principal", principal.LOCAL)


def _status(db, have) -> str:
    if have.empty:
        return "Cơ sở dữ liệu **chưa có tỉnh nào**."
    what = ", ".join(f"{ui.esc(n)} ({fmt.number(c)} xã, phường)"
                     for n, c in zip(have.province_name, have.communes))
    return ("Cơ sở dữ liệu đang chứa **dữ liệu mẫu**: " if db.is_demo()
            else "Cơ sở dữ liệu đang chứa: ") + what + "."


def render(db, state) -> None:
    have = province.provinces(db)
    batches = int(db.scalar("SELECT count(*) FROM batches"))
    with st.expander(TITLE, expanded=db.is_demo() or have.empty, icon=":material/flag:"):
        st.markdown(_status(db, have))
        st.caption("Chọn tỉnh, thành phố trong danh mục chính thức 2025: tỉnh và các xã, phường "
                   "của tỉnh được tạo sẵn từ danh mục; sau đó tải lên thôn, tổ dân phố và các "
                   "tổ. Dòng lệnh: `python -m dashboard reset --province MÃ`.")
        if not _who().can("reset"):
            st.info("Chỉ quản trị viên được xóa dữ liệu hoặc bắt đầu tỉnh mới.")
            return
        official = province.official_provinces()
        labels = {r.province_code: f"{r.province_name} ({r.province_code}) — "
                                   f"{fmt.number(r.communes)} xã, phường"
                  for r in official.itertuples()}
        code = st.selectbox("Tỉnh, thành phố (danh mục chính thức 2025)", list(labels),
                            index=None, format_func=labels.get, placeholder="Chọn tỉnh, thành phố",
                            key="setup_province")
        sure = True
        if batches:
            rows = sum(int(db.scalar(f"SELECT count(*) FROM {t}"))
                       for t in province.DATA_TABLES)
            sure = st.checkbox(f"Tôi hiểu: toàn bộ dữ liệu hiện có ({fmt.number(rows)} dòng, "
                               f"{fmt.number(batches)} lô nhập, kể cả lịch sử nhập) sẽ bị xóa và "
                               "không hoàn tác được.", key="setup_sure")
        c1, c2, c3 = st.columns(3)
        with c1:
            start = st.button("Xóa dữ liệu hiện có và bắt đầu với tỉnh này" if batches else
                              "Tạo tỉnh và các xã, phường chính thức", type="primary",
                              disabled=not (code and sure), key="setup_start",
                              icon=":material/restart_alt:", width="stretch")
        with c2:
            clear = st.button("Chỉ xóa toàn bộ dữ liệu", disabled=not (batches and sure),
                              key="setup_clear", icon=":material/delete:", width="stretch")
        add = False
        if not have.empty and not db.is_demo() and code and code not in set(have.province_code):
            with c3:
                add = st.button("Thêm tỉnh này (giữ các tỉnh hiện có)", key="setup_add",
                                icon=":material/add:", width="stretch",
                                help="Cho ban cấp trung ương theo dõi nhiều tỉnh: bộ lọc chung "
                                     "sẽ có lựa chọn tỉnh, thành phố.")
        if start or clear:
            with st.spinner("Đang xóa dữ liệu…"):
                result = province.reset(db, code if start else None, created_by=_who().username)
            state["data_flash"] = result.summary_text()
            st.rerun()
        if add:
            report = province.create_from_reference(db, code, created_by=_who().username)
            state["data_flash"] = (f"Đã thêm {report.new - 1} xã, phường chính thức của "
                                   f"{labels[code].split(' (')[0]} (lô {report.batch_id})."
                                   if report.committed else report.summary_text())
            st.rerun()


def confirm_other_province(report) -> bool:
    """In the upload flow: a units file of a province the data does not hold yet is written
    only after the user says so. Returns True when the upload may be written."""
    if not report.other_provinces:
        return True
    names = ", ".join(n for _, n in report.other_provinces)
    st.warning(f"Tệp này thuộc {_plain(names)}, khác với tỉnh của dữ liệu hiện có. "
               + province.OTHER_PROVINCE_HINT, icon=":material/warning:")
    return st.checkbox(f"Tôi xác nhận ghi dữ liệu của {_plain(names)} vào cùng cơ sở dữ liệu",
                       key="data_other_province")


def _plain(text: str) -> str:
    """User text inside a markdown message (the one escaping of ui.esc)."""
    return ui.esc(text)
