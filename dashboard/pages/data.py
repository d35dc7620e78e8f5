"""Dữ liệu: upload (check → confirm → commit), import history with rollback, templates."""
import hashlib
from pathlib import Path

import streamlit as st

from dashboard import contract, ingest
from dashboard.i18n import fmt
from dashboard.ingest import annotate, legacy, templates
from dashboard.output import exports
from dashboard.store import history
from dashboard.web import ui

db = ui.get_db()
MAX_MB = int(st.get_option("server.maxUploadSize"))
HAS_GEO = (Path(ingest.__file__).parent / "boundaries.py").exists()
DATASETS = {**{name: f"{history.DATASET_LABELS[name]} — {ds.label}"
               for name, ds in contract.DATASETS.items()},
            **({"boundaries": "Ranh giới — GeoJSON, GeoPackage, Shapefile nén ZIP"}
               if HAS_GEO else {})}
TABLE_TYPES = ["csv", "xlsx", "txt", "tsv"]   # .xls (Excel 97-2003) is refused by the reader
GEO_TYPES = ["geojson", "json", "gpkg", "zip"]
state = st.session_state
state.setdefault("data_upload_key", 0)

st.title("Dữ liệu")
ui.demo_banner()
if "data_flash" in state:
    st.success(state.pop("data_flash"), icon=":material/check_circle:")

tab_upload, tab_history, tab_templates = st.tabs(["Tải lên", "Lịch sử nhập", "Mẫu tệp"],
                                                 key="muc", bind="query-params")


@st.cache_data(show_spinner=False, max_entries=16)
def _template(name: str, version: int) -> bytes:
    return templates.xlsx_template(name, templates.user_units(db))


def _xlsx_button(label, data, name, key, **kw):
    st.download_button(label, data, name, templates.XLSX_MIME, key=key, **kw)


def _show_report(report: ingest.ImportReport, data: bytes, key: str) -> None:
    c = st.columns(4)
    c[0].metric("Dòng mới", fmt.number(report.new))
    c[1].metric("Dòng cập nhật", fmt.number(report.updated))
    c[2].metric("Không đổi", fmt.number(report.unchanged))
    c[3].metric("Bị từ chối", fmt.number(report.rejected))
    if report.raw is not None:
        where = f"trang tính «{report.raw.sheet}», " if report.raw.sheet else ""
        st.caption(f"Đọc {fmt.number(report.rows_total)} dòng dữ liệu ({where}dòng tiêu đề "
                   f"số {report.raw.header_row}) · SHA-256 {report.sha256[:12]}…")
    if report.conversions:
        st.markdown("**Mã xã cũ (trước 01/07/2025) đã được chuyển sang xã mới**")
        st.dataframe(legacy.conversions_frame(report.conversions), hide_index=True,
                     width="stretch")
    if report.problems:
        n_err, n_warn = len(report.errors), len(report.warnings)
        st.markdown(f"**Vấn đề trong tệp:** {fmt.number(n_err)} lỗi, "
                    f"{fmt.number(n_warn)} cảnh báo")
        st.dataframe(report.problems_table(), hide_index=True, width="stretch",
                     height=min(420, 38 + 35 * len(report.problems)))
        cached = state.get(f"{key}_annotated")
        if cached is None:
            cached = annotate.annotate(report, data)
            state[f"{key}_annotated"] = cached
        d1, d2 = st.columns(2)
        with d1:
            _xlsx_button("⬇ Tải tệp của bạn có đánh dấu ô lỗi (Excel)", cached,
                         annotate.annotated_name(report.file_name), key=f"{key}_ann",
                         width="stretch",
                         help="Các ô có vấn đề được tô màu và có ghi chú; sửa trong Excel rồi "
                              "tải lên lại.")
        if report.rejected_rows is not None and len(report.rejected_rows):
            with d2:
                stem = Path(report.file_name).stem
                _xlsx_button("⬇ Tải các dòng bị từ chối (Excel)",
                             exports.to_xlsx_bytes(report.rejected_rows),
                             f"{stem}_dong_bi_tu_choi.xlsx", key=f"{key}_rej", width="stretch")


def _check(dataset, data, name, choices, old_codes, progress=None):
    key = (dataset, hashlib.sha256(data).hexdigest(), tuple(sorted(choices.items())),
           old_codes, db.data_version())
    if state.get("data_check_key") != key:
        report = ingest.import_bytes(db, dataset, data, name, dry_run=True, progress=progress,
                                     legacy_choices=choices, legacy_codes=old_codes)
        state["data_check_key"] = key
        state["data_check"] = report
        for k in [k for k in state.keys() if str(k).startswith("chk_")]:
            del state[k]
    return state["data_check"]


def _upload_tables(dataset: str) -> None:
    uploaded = st.file_uploader(
        "Chọn tệp CSV hoặc Excel (.xlsx)", type=TABLE_TYPES,
        key=f"data_file_{state.data_upload_key}",
        help="Kiểu tệp được xác định theo nội dung, không theo đuôi tên tệp.")
    old_codes = st.checkbox(
        "Tệp dùng mã xã cũ (trước 01/07/2025) cho mọi dòng",
        key="data_old_codes",
        help="Mặc định, mã không có trong danh mục đơn vị mà là mã xã cũ sẽ được tự chuyển "
             "sang xã mới. Đánh dấu ô này khi cả tệp dùng mã cũ (kể cả mã trùng với mã mới).")
    if uploaded is None:
        return
    data = uploaded.getvalue()
    choices = state.setdefault("data_split_choices", {})
    bar = st.progress(0.0, text="Đang đọc tệp…")
    report = _check(dataset, data, uploaded.name, choices, old_codes,
                    progress=lambda v, msg: bar.progress(min(1.0, v), text=msg))
    bar.empty()
    st.subheader(f"Kết quả kiểm tra: {uploaded.name}")
    if report.splits:
        st.warning("Một số xã cũ đã bị **chia cho nhiều xã mới**: chọn xã mới cho từng xã cũ "
                   "rồi bấm «Kiểm tra lại». Hệ thống không tự gán.", icon=":material/call_split:")
        with st.form("data_splits"):
            picks = {}
            for lc in report.splits:
                options = [t.code for t in lc.targets]
                names = {t.code: f"{t.name} ({t.code})" + (" — mặc định theo quy định"
                                                           if t.is_default else "")
                         + ("" if t.in_units else " — chưa có trong danh mục đơn vị")
                         for t in lc.targets}
                picks[lc.old_code] = st.selectbox(lc.label, options, format_func=names.get,
                                                  index=None, placeholder="Chọn xã mới",
                                                  key=f"split_{lc.old_code}")
            if st.form_submit_button("Kiểm tra lại với lựa chọn này"):
                choices.update({k: v for k, v in picks.items() if v})
                st.rerun()
    _show_report(report, data, key="chk")
    can_partial = report.rejected > 0 and (report.new + report.updated) > 0
    mode = "all_or_nothing"
    if can_partial:
        mode = st.radio("Cách ghi", ["all_or_nothing", "valid_rows_only"], horizontal=True,
                        format_func={"all_or_nothing": "Tất cả hoặc không (mặc định)",
                                     "valid_rows_only": "Chỉ ghi các dòng hợp lệ"}.get,
                        key="data_mode")
    changes = report.new + report.updated
    if report.errors and mode == "all_or_nothing":
        st.error("Tệp có lỗi nên **chưa ghi gì**. Tải tệp có đánh dấu ô lỗi ở trên, sửa trong "
                 "Excel rồi tải lên lại" + (", hoặc chọn «Chỉ ghi các dòng hợp lệ»."
                                            if can_partial else "."),
                 icon=":material/block:")
        return
    if changes == 0:
        st.info("Không có gì thay đổi: mọi dòng hợp lệ trong tệp đã có sẵn với cùng nội dung "
                "(không đổi).", icon=":material/info:")
        return
    agree = True
    if mode == "valid_rows_only":
        agree = st.checkbox(f"Tôi đồng ý bỏ qua {fmt.number(report.rejected)} dòng bị từ chối "
                            "(tải về ở trên để sửa sau).", key="data_agree")
    msg = (f"Sẽ ghi {fmt.number(report.new)} dòng mới và {fmt.number(report.updated)} dòng "
           "cập nhật trong một lô; có thể hoàn tác ở thẻ «Lịch sử nhập».")
    st.write(msg)
    if st.button("Ghi vào cơ sở dữ liệu", type="primary", disabled=not agree,
                 key="data_commit", icon=":material/save:"):
        bar = st.progress(0.0, text="Đang ghi…")
        final = ingest.import_bytes(db, dataset, data, uploaded.name,
                                    valid_rows_only=(mode == "valid_rows_only"),
                                    legacy_choices=choices, legacy_codes=old_codes,
                                    progress=lambda v, m: bar.progress(min(1.0, v), text=m))
        if final.committed:
            state["data_flash"] = (
                f"Đã ghi lô số {final.batch_id}: {fmt.number(final.new)} dòng mới, "
                f"{fmt.number(final.updated)} dòng cập nhật, {fmt.number(final.unchanged)} "
                f"không đổi, {fmt.number(final.rejected)} bị từ chối.")
            state.data_upload_key += 1
            state.pop("data_check_key", None)
            state["data_split_choices"] = {}
            st.rerun()
        else:
            st.error("Không ghi được: dữ liệu đã thay đổi kể từ lúc kiểm tra. Xem kết quả "
                     "kiểm tra mới bên dưới.")
            _show_report(final, data, key="fin")


def _upload_boundaries() -> None:
    from dashboard.ingest import boundaries

    uploaded = st.file_uploader("Chọn tệp ranh giới", type=GEO_TYPES,
                                key=f"data_geo_{state.data_upload_key}",
                                help="GeoJSON, GeoPackage hoặc Shapefile nén ZIP; hệ tọa độ bất "
                                     "kỳ (được chuyển sang WGS 84).")
    if uploaded is None:
        return
    data = uploaded.getvalue()
    prop = st.session_state.get("data_geo_prop") or None
    with st.spinner("Đang kiểm tra ranh giới…"):
        report = boundaries.import_boundaries(db, Path(uploaded.name), code_property=prop,
                                       dry_run=True, data=data, file_name=uploaded.name)
    if report.candidates or report.needs_code_property:
        st.selectbox("Thuộc tính chứa mã đơn vị", [None, *report.candidates],
                     format_func=lambda p: "Tự nhận biết" if p is None else
                     f"{p} ({report.candidates.get(p, 0)} đối tượng khớp)", key="data_geo_prop")
    for m in report.messages():
        (st.error if m in report.errors else st.write)(m)
    if report.ok and st.button("Ghi ranh giới vào cơ sở dữ liệu", type="primary",
                               key="data_geo_commit", icon=":material/save:"):
        with st.spinner("Đang ghi…"):
            final = boundaries.import_boundaries(db, Path(uploaded.name), code_property=prop,
                                          data=data, file_name=uploaded.name)
        if final.committed:
            state["data_flash"] = (f"Đã ghi lô số {final.batch_id}: {final.rows_new} ranh giới "
                                   f"mới, {final.rows_updated} cập nhật.")
            state.data_upload_key += 1
            st.rerun()
        else:
            st.error(" ".join(final.errors) or "Không ghi được ranh giới.")


with tab_upload:
    st.markdown("Chọn bộ dữ liệu, tải mẫu, điền trong Excel rồi tải lên. Hệ thống **kiểm tra "
                "trước**, chỉ ghi khi bạn xác nhận; mặc định tệp có lỗi thì không dòng nào "
                "được ghi.")
    dataset = st.selectbox("Bộ dữ liệu", list(DATASETS), format_func=DATASETS.get,
                           key="data_dataset")
    st.caption(f"Dung lượng tệp tối đa {fmt.number(MAX_MB)} MB. Tệp CSV (UTF-8, Windows-1258, "
               "dấu phân cách , ; hoặc tab) hoặc Excel .xlsx.")
    if dataset == "boundaries":
        _upload_boundaries()
    else:
        t1, t2, _ = st.columns([1, 1, 2])
        with t1:
            # built only when clicked: the template lists the user's units (100k nationally)
            _xlsx_button("⬇ Mẫu Excel",
                         lambda n=dataset, v=db.data_version(): _template(n, v),
                         templates.file_name(dataset, "xlsx"), key="up_tpl_xlsx",
                         width="stretch", on_click="ignore")
        with t2:
            st.download_button("⬇ Mẫu CSV", templates.csv_template(dataset),
                               templates.file_name(dataset, "csv"), "text/csv",
                               key="up_tpl_csv", width="stretch")
        _upload_tables(dataset)

with tab_history:
    batches = history.list_batches(db)
    if batches.empty:
        st.info("Chưa có lần nhập nào.")
    else:
        st.dataframe(ui.vi_style(history.history_table(batches)), hide_index=True, width="stretch",
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
            original = history.archived_file(db, chosen)
            if original:
                st.download_button("Tải lại tệp gốc", original[1], original[0],
                                   key=f"hist_file_{chosen}", icon=":material/download:")
                st.caption(f"SHA-256: `{b['sha256']}`")
            else:
                st.caption("Lô này không có tệp gốc lưu trữ (tạo tự động).")
        with c2:
            st.markdown("**Hoàn tác**")
            if b["status"] != "committed":
                st.caption("Lô này đã được hoàn tác.")
            else:
                later, shared = history.dependent_batches(db, chosen)
                cascade = False
                if later:
                    st.warning(f"{fmt.number(shared)} dòng của lô này đã được các lô sau thay "
                               "đổi tiếp: " + ", ".join(f"lô {x}" for x in later)
                               + ". Hoàn tác lô này phải hoàn tác cả các lô đó.",
                               icon=":material/warning:")
                    cascade = st.checkbox("Hoàn tác cả các lô sau (mới nhất trước)",
                                          key=f"hist_cascade_{chosen}")
                sure = st.checkbox(f"Tôi xác nhận đưa dữ liệu về trạng thái trước lô {chosen}",
                                   key=f"hist_sure_{chosen}")
                if st.button(f"Hoàn tác lô {chosen}", disabled=not sure or (bool(later) and not cascade),
                             key=f"hist_undo_{chosen}", icon=":material/undo:"):
                    try:
                        res = history.rollback(db, chosen, cascade=cascade)
                    except history.RollbackError as exc:
                        st.error(str(exc))
                    else:
                        state["data_flash"] = (
                            "Đã hoàn tác " + ", ".join(f"lô {x}" for x in res.batches)
                            + f": xóa {fmt.number(res.rows_deleted)} dòng đã thêm, khôi phục "
                            f"{fmt.number(res.rows_restored)} dòng về giá trị trước.")
                        st.rerun()

with tab_templates:
    st.markdown("Mỗi bộ dữ liệu có một mẫu Excel (tiêu đề tiếng Việt, danh sách chọn cho các "
                "cột có giá trị cố định, trang «Hướng dẫn» với ví dụ và quy tắc) và một mẫu CSV.")
    for name, ds in contract.DATASETS.items():
        with st.expander(f"{history.DATASET_LABELS[name]} — {ds.label}", expanded=False):
            st.caption(ds.description)
            st.dataframe(templates.columns_table(ds), hide_index=True, width="stretch")
            a, b_, _ = st.columns([1, 1, 2])
            with a:
                _xlsx_button("⬇ Mẫu Excel",
                             lambda n=name, v=db.data_version(): _template(n, v),
                             templates.file_name(name, "xlsx"), key=f"tpl_{name}_xlsx",
                             width="stretch", on_click="ignore")
            with b_:
                st.download_button("⬇ Mẫu CSV", templates.csv_template(name),
                                   templates.file_name(name, "csv"), "text/csv",
                                   key=f"tpl_{name}_csv", width="stretch")
