"""The SQL explorer's page sections (Phân tích SQL): the editor's state from a link or an
example, parameter inputs, the schema browser, running a statement and showing its result.
Widgets only: every rule lives in dashboard/sandbox/."""
from __future__ import annotations

import contextlib
import datetime as dt

import streamlit as st

from dashboard import contract, sandbox
from dashboard.i18n import fmt
from dashboard.output import exports
from dashboard.web import questions_ui, ui

EXAMPLE_NONE = ""


def examples() -> dict:
    return {e.name: e for e in sandbox.examples()}


def _set_param_state(name: str, text):
    ss = st.session_state
    """Put a parameter value (text from a URL, or a Python value) into its widget's state."""
    kind = sandbox.param_kind(name)
    key = f"sqlp_{name}"
    if text is None:
        ss.pop(key, None)
        return
    try:
        value = sandbox.coerce_value(name, text) if isinstance(text, str) else text
    except sandbox.SandboxError:
        return
    if kind == "date" and isinstance(value, dt.date):
        ss[key] = value
    elif kind == "communes":
        ss[key] = list(value or [])
    elif value is not None:
        ss[key] = str(value)


def _load_example():
    ss, examples_ = st.session_state, examples()
    name = ss.get("sql_example") or EXAMPLE_NONE
    if name in examples_:
        ss["sql_text"] = examples_[name].sql
        ss["sql_autorun"] = True


def _insert_table(table: str):
    ss = st.session_state
    ss["sql_example"] = EXAMPLE_NONE
    ss["sql_text"] = f"SELECT *\nFROM {table}\nLIMIT 100\n"
    ss["sql_autorun"] = True


def init_state() -> None:
    """The editor's text and parameters: from a link (?q=… / ?sql=…, filled but never run
    before the user presses Run), else the first visit's example."""
    ss, examples_ = st.session_state, examples()
    sig = sandbox.link_signature(st.query_params)
    if ss.get("sql_link_sig") != sig:
        ss["sql_link_sig"] = sig
        q_name, q_sql, q_params = sandbox.parse_explorer_query_params(st.query_params)
        if q_name in examples_:
            ss["sql_example"] = q_name
            ss["sql_text"] = examples_[q_name].sql
        elif q_sql:
            ss["sql_example"] = EXAMPLE_NONE
            ss["sql_text"] = q_sql
        for k, v in q_params.items():
            _set_param_state(k, v)
        # a link only fills the editor: nothing runs before the user presses Run
        ss.pop("sql_autorun", None)

    if "sql_text" not in ss:
        ss["sql_text"] = ("SELECT level, count(*) AS so_don_vi\nFROM units\nGROUP BY level\n"
                          "ORDER BY so_don_vi DESC\n")
        ss["sql_autorun"] = True


def param_inputs(sql_text: str, f: dict) -> dict:
    """One input per $parameter of the statement -> {name: value}."""
    ss = st.session_state
    values: dict = {}
    names = sandbox.param_names(sql_text)
    values: dict = {}
    if names:
        st.markdown("**Tham số**")
        communes_df = ui.communes()
        commune_names = dict(zip(communes_df.unit_code, communes_df.unit_name))
        # short inputs side by side, the commune list on its own full-width row
        ordered = [n for n in names if sandbox.param_kind(n) != "communes"]
        ordered += [n for n in names if sandbox.param_kind(n) == "communes"]
        short = [n for n in ordered if sandbox.param_kind(n) != "communes"]
        cols = st.columns(3) if short else []
        for i, name in enumerate(ordered):
            kind = sandbox.param_kind(name)
            key = f"sqlp_{name}"
            label = f"${name} — {sandbox.param_label(name)}"
            with (cols[i % 3] if kind != "communes" else st.container()):
                if kind == "date":
                    if key not in ss:
                        ss[key] = f["as_of"] if name == "as_of" else dt.date.today()
                    values[name] = st.date_input(label, key=key, format="DD/MM/YYYY",
                                                 min_value=dt.date(2000, 1, 1),
                                                 max_value=dt.date(2100, 12, 31))
                elif kind == "communes":
                    if key not in ss:
                        ss[key] = list(f.get("chosen") or [])
                    options = list(dict.fromkeys([*commune_names, *ss[key]]))
                    chosen_codes = st.multiselect(
                        label, options, key=key, placeholder="Tất cả xã, phường",
                        format_func=lambda c: f"{commune_names.get(c, c)} ({c})")
                    values[name] = chosen_codes or None
                elif kind == "commune":
                    options = list(commune_names)
                    if ss.get(key) not in options and options:
                        extra = ss.get(key)
                        options = ([extra] if extra else []) + options
                    values[name] = st.selectbox(
                        label, options, key=key,
                        format_func=lambda c: f"{commune_names.get(c, c)} ({c})")
                elif kind == "level":
                    values[name] = st.selectbox(
                        label, ["commune", "village"], key=key,
                        format_func=lambda v: contract.enum_label(contract.LEVELS, v))
                elif kind == "indicator":
                    options = list(contract.INDICATOR_LABELS)
                    if ss.get(key) and ss[key] not in options:
                        options.insert(0, ss[key])
                    values[name] = st.selectbox(label, options, key=key,
                                                format_func=contract.indicator_label)
                elif kind == "field":
                    values[name] = st.selectbox(
                        label, list(contract.FIELDS), key=key,
                        format_func=lambda v: contract.enum_label(contract.FIELDS, v))
                else:
                    values[name] = st.text_input(label, key=key)
    return values


def schema_panel(db, limits):
    """The schema browser; returns the sandbox (None when it cannot open). The schema is the
    newest snapshot's (it does not change with the data); a snapshot of new data is written
    in the background meanwhile, and a statement waits for it (current_box)."""
    st.markdown("**Lược đồ dữ liệu**")
    try:
        box = sandbox.for_database(db, limits, wait=False)
        if box is None:         # the first snapshot of this data in this server process
            with st.spinner("Đang chuẩn bị bản sao dữ liệu để truy vấn…"):
                box = sandbox.for_database(db, limits)
        schema = box.schema()
    except sandbox.SandboxError as e:
        box, schema = None, None
        st.error(e.message)
    if schema is not None:
        search = st.text_input("Tìm bảng hoặc cột", key="sql_schema_search",
                               placeholder="ví dụ: households, số hộ, xã")
        tables = schema[schema["column"] != ""]
        macros = schema[schema["column"] == ""]
        shown_tables = sandbox.search_tables(tables, search)
        st.caption(f"{fmt.number(len(shown_tables))} bảng · bấm một bảng để xem các cột")
        with st.container(height=520, border=False):
            for table in shown_tables:
                cols_df = tables[tables["table"] == table][["column", "type", "label", "meaning"]]
                short = sandbox.table_label(table)
                with st.expander(f"**{table}**" + (f" — {short}" if short else "")
                                 + f" · {fmt.number(len(cols_df))} cột",
                                 expanded=bool(search)):
                    doc = sandbox.table_doc(table)
                    if doc:
                        st.caption(doc)
                    st.dataframe(
                        cols_df, hide_index=True, width="stretch",
                        column_config={"column": "Cột", "type": "Kiểu", "label": "Nhãn",
                                       "meaning": "Ý nghĩa, quy tắc"})
                    st.button("Chèn SELECT * FROM " + table, key=f"sql_ins_{table}",
                              on_click=_insert_table, args=(table,))
            if len(macros) and not search:
                with st.expander(f"Hàm bảng (chỉ số theo định nghĩa) · "
                                 f"{fmt.number(len(macros))}"):
                    st.caption("Định nghĩa chỉ số (docs/data-contract.md, mục «Cách tính chỉ số»), dùng được trong FROM, "
                               "ví dụ `SELECT * FROM commune_coverage(DATE '2025-06-30')`.")
                    st.dataframe(macros[["table", "meaning"]], hide_index=True,
                                 width="stretch",
                                 column_config={"table": "Hàm", "meaning": "Ý nghĩa"})
    return box


def _value_text(v) -> str:
    if v is None:
        return "NULL (tất cả)"
    if isinstance(v, dt.date):
        return fmt.date(v)
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v))
    return str(v)


def current_box(limits):
    """The sandbox over the data as it is now (waits while its snapshot is being written)."""
    db = ui.get_db()
    waiting = (st.spinner("Đang cập nhật bản sao dữ liệu để truy vấn…")
               if sandbox.building(db, limits) else contextlib.nullcontext())
    with waiting:
        return sandbox.for_database(db, limits)


def run(box, sql_text: str, values: dict, clicked: bool) -> None:
    """Run the statement (audited) and keep it in the URL so the link reopens it."""
    ss, examples_ = st.session_state, examples()
    if (clicked or ss.pop("sql_autorun", False)) and box is not None:
        try:
            ui.audit("sql", sql_text[:2000])
            result = current_box(box.limits).run(sql_text, values)
            ss["sql_last"] = {"sql": sql_text, "params": values, "result": result, "error": None}
        except sandbox.SandboxError as e:
            ss["sql_last"] = {"sql": sql_text, "params": values, "result": None, "error": e}
        # keep the statement in the URL so the link reopens it
        example = ss.get("sql_example") or EXAMPLE_NONE
        same = example in examples_ and examples_[example].sql.strip() == sql_text.strip()
        wanted = sandbox.explorer_query_params(example if same else None, values,
                                               None if same else sql_text)
        for k in [k for k in st.query_params if k in ("q", "sql") or k.startswith("p_")]:
            if k not in wanted:
                del st.query_params[k]
        for k, v in wanted.items():
            if st.query_params.get(k) != v:
                st.query_params[k] = v
        ss["sql_link_sig"] = sandbox.link_signature(st.query_params)


def show_result(box, limits) -> None:
    """The last result (or error), with downloads and 'save this question'."""
    ss = st.session_state
    last = ss.get("sql_last")
    st.divider()
    if not last:
        st.info("Viết một câu lệnh SELECT hoặc chọn một truy vấn mẫu rồi bấm **Chạy**.")
    elif last["error"] is not None:
        err = last["error"]
        icon = {"timeout": ":material/timer:", "memory": ":material/memory:",
                "refused": ":material/block:", "busy": ":material/hourglass_empty:"}.get(
            err.kind, ":material/warning:")
        st.error(err.message, icon=icon)
    else:
        res = last["result"]
        df = res.df
        st.subheader("Kết quả")
        st.caption(f"{fmt.number(len(df))} dòng · {fmt.number(len(df.columns))} cột · "
                   f"{fmt.fixed(res.elapsed_s, 2)} giây")
        if res.cut == "bytes":
            st.warning(
                f"Kết quả quá lớn (giới hạn {fmt.number(limits.max_result_mb)} MB) nên chỉ giữ "
                f"{fmt.number(len(df))} dòng đầu. Hãy chọn ít cột hơn, rút ngắn chuỗi văn bản "
                "hoặc gộp nhóm trước.", icon=":material/content_cut:")
        elif res.truncated:
            st.warning(
                f"Kết quả có hơn {fmt.number(res.row_limit)} dòng nên chỉ hiển thị "
                f"{fmt.number(res.row_limit)} dòng đầu. Nút tải xuống bên dưới chạy lại câu lệnh "
                f"và lấy toàn bộ kết quả (tối đa {fmt.number(limits.download_rows)} dòng).",
                icon=":material/content_cut:")
        st.dataframe(ui.vi_style(df), hide_index=True, width="stretch", height=420)
        subject = ss.get("sql_example") or "Phân tích SQL"
        meta = exports.sheet_meta(None, "câu lệnh SQL của người dùng",
                                  "Bảng điều khiển Dân vận · Phân tích SQL: " + last["sql"][:500])
        run_sql, run_params = last["sql"], last["params"]

        def _full():
            if not res.truncated:
                return df
            try:
                return current_box(limits).run_full(run_sql, run_params).df
            except sandbox.SandboxError as e:
                import pandas as pd

                return pd.DataFrame({"Lỗi": [e.message]})

        today = dt.date.today()
        c1, c2, c3, _ = st.columns([1, 1, 1.2, 2.8])
        who, base = ui.principal(), ui.base_db()

        def _logged(kind, build):
            from dashboard.access import audit

            audit.record(base, who, "export", f"{kind} {subject} (Phân tích SQL)")
            return build(_full())

        c1.download_button("⬇ CSV" + (" (toàn bộ)" if res.truncated else ""),
                           lambda: _logged("CSV", exports.to_csv_bytes),
                           exports.file_name(subject, "csv", today), exports.CSV_MIME,
                           key="sql_dl_csv", width="stretch", on_click="ignore",
                           help=exports.CSV_DIALECT_LABELS["excel-vi"])
        c2.download_button("⬇ Excel" + (" (toàn bộ)" if res.truncated else ""),
                           lambda: _logged("XLSX", lambda d: exports.to_xlsx_bytes(
                               d, title="Phân tích SQL", meta=meta)),
                           exports.file_name(subject, "xlsx", today), exports.XLSX_MIME,
                           key="sql_dl_xlsx", width="stretch", on_click="ignore")
        c3.download_button("⬇ CSV máy đọc",
                           lambda: _logged("CSV", lambda d: exports.to_csv_bytes(d, "plain")),
                           exports.file_name(subject + " may doc", "csv", today), exports.CSV_MIME,
                           key="sql_dl_csv_plain", width="stretch", on_click="ignore",
                           help=exports.CSV_DIALECT_LABELS["plain"])
        if res.params:
            st.caption("Tham số: " + ", ".join(f"${k} = {_value_text(v)}"
                                               for k, v in res.params.items()))
        questions_ui.save_block(run_sql, run_params)
