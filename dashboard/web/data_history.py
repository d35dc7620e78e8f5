"""The Data page's history tab (every batch, its original file, undo with its dependants shown
and confirmed) and templates tab. Layout only: undo is dashboard.store.history (the same code
as `python -m dashboard rollback`)."""
from __future__ import annotations

import streamlit as st

from dashboard import contract
from dashboard.i18n import fmt
from dashboard.ingest import templates
from dashboard.store import history
from dashboard.web import ui
from dashboard.web.data_upload import template_button


@st.cache_data(show_spinner=False, max_entries=32)
def _dependents(path: str, batch_id: int, version: int) -> history.Dependents:
    return history.dependents(ui.get_db(), batch_id)


def _logged_original(who, batch_id, name: str, path) -> bytes:
    """The archived file's bytes, read (and the download logged) only when it is downloaded."""
    from dashboard.access import audit

    audit.record(ui.base_db(), who, "archive_download", f"lô {batch_id}: {name}")
    return path.read_bytes()


def render_history() -> None:
    db, wdb, state = ui.get_db(), ui.base_db(), st.session_state
    batches = history.list_batches(db)
    if batches.empty:
        st.info("Chưa có lần nhập nào.")
    else:
        st.dataframe(ui.vi_style(history.history_table(batches)), hide_index=True,
                     width="stretch",
                     height=min(420, 38 + 35 * len(batches)))
        ui.downloads(history.history_table(batches), "import_batches", key="hist_dl",
                     title="Lịch sử nhập")
        ui.sql_expander("import_batches", {}, key="hist_sql")
        rows = {int(r["batch_id"]): r for r in batches.to_dict("records")}
        chosen = st.selectbox("Chọn lô nhập", list(rows),
                              format_func=lambda b: history.batch_label(rows[b]),
                              key="hist_batch")
        b = rows[chosen]
        c1, c2 = st.columns(2)
        with c1:
            st.markdown("**Tệp gốc**")
            original = history.archived_path(db, chosen) if ui.can("export") else None
            if original:
                who, (name, path) = ui.principal(), original
                st.download_button("Tải lại tệp gốc",
                                   lambda c=chosen: _logged_original(who, c, name, path),
                                   name, on_click="ignore",
                                   key=f"hist_file_{chosen}", icon=":material/download:")
                st.caption(f"SHA-256: `{b['sha256']}`")
            else:
                st.caption("Lô này không có tệp gốc lưu trữ (tạo tự động).")
        with c2:
            st.markdown("**Hoàn tác**")
            if not ui.can("undo"):
                st.caption("Hoàn tác cần vai trò «Cập nhật dữ liệu» trở lên.")
            elif b["status"] != "committed":
                st.caption("Lô này đã được hoàn tác.")
            else:
                deps = _dependents(str(db.path), chosen, db.data_version())
                cascade = False
                if not deps.can_cascade:
                    st.error("\n\n".join(deps.lines()), icon=":material/block:")
                elif deps.batches:
                    st.warning("**Có dữ liệu phụ thuộc vào lô này:**\n\n" + "\n".join(
                        f"- {line}" for line in deps.lines()), icon=":material/warning:")
                    cascade = st.checkbox(
                        f"Hoàn tác cả {fmt.number(len(deps.batches))} lô phụ thuộc "
                        "(mới nhất trước)", key=f"hist_cascade_{chosen}")
                sure = st.checkbox(f"Tôi xác nhận đưa dữ liệu về trạng thái trước lô {chosen}",
                                   key=f"hist_sure_{chosen}")
                blocked = not deps.can_cascade or (bool(deps.batches) and not cascade)
                if st.button(f"Hoàn tác lô {chosen}", disabled=not sure or blocked,
                             key=f"hist_undo_{chosen}", icon=":material/undo:"):
                    try:
                        res = history.rollback(wdb, chosen, cascade=cascade)
                    except (history.RollbackError, PermissionError) as exc:
                        st.error(str(exc))
                    else:
                        state["data_flash"] = res.summary_text()
                        st.rerun()


def render_templates() -> None:
    st.markdown("Mỗi bộ dữ liệu có một mẫu Excel (tiêu đề tiếng Việt, danh sách chọn cho các "
                "cột có giá trị cố định, trang «Hướng dẫn» với ví dụ và quy tắc) và một mẫu CSV.")
    for name, ds in contract.DATASETS.items():
        with st.expander(f"{history.DATASET_LABELS[name]} — {ds.label}", expanded=False):
            st.caption(ds.description)
            st.dataframe(templates.columns_table(ds), hide_index=True, width="stretch")
            a, b_, _ = st.columns([1, 1, 2])
            with a:
                template_button(name, f"tpl_{name}_xlsx")
            with b_:
                st.download_button("⬇ Mẫu CSV", templates.csv_template(name),
                                   templates.file_name(name, "csv"), "text/csv",
                                   key=f"tpl_{name}_csv", width="stretch")
