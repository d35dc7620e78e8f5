"""What the schema browser says about each table, column and metric macro (Vietnamese)."""
from __future__ import annotations

# ---------------------------------------------------------------------------------------------
# Meaning of tables and columns (schema browser)

TABLE_DOCS = {
    "batches": "Các lần nhập dữ liệu (mỗi lần tải tệp lên là một lô).",
    "batch_changes": "Từng dòng mà một lô đã thêm hoặc sửa (để hoàn tác).",
    "batch_units": "Các đơn vị mà mỗi lô nhập đã chạm tới (để biết lô thuộc phạm vi nào).",
    "boundaries": "Ranh giới hành chính đã nhập (hình học EPSG:4326).",
    "app_meta": "Thiết lập của ứng dụng (khóa – giá trị).",
    "ref_provinces": "Danh mục chính thức 34 tỉnh, thành phố (từ 01/7/2025).",
    "ref_communes": "Danh mục chính thức xã, phường, đặc khu (từ 01/7/2025).",
    "ref_legacy_communes": "Danh mục xã trước 01/7/2025 (63 tỉnh, có cấp huyện).",
    "ref_crosswalk": "Bảng chuyển đổi mã xã cũ → mã xã mới.",
}

_EXTRA_COLUMNS = {
    "batches": {
        "batch_id": "Mã lô nhập", "created_at": "Thời điểm nhập", "dataset": "Bộ dữ liệu",
        "file_name": "Tên tệp", "sha256": "Mã băm SHA-256 của tệp",
        "rows_new": "Số dòng mới", "rows_updated": "Số dòng cập nhật",
        "rows_unchanged": "Số dòng không đổi", "rows_rejected": "Số dòng bị loại",
        "status": "Trạng thái (committed: đã ghi; rolled_back: đã hoàn tác)",
        "mode": "Chế độ nhập", "created_by": "Người nhập", "note": "Ghi chú",
        "archive_path": "Tệp lưu trữ"},
    "batch_changes": {
        "batch_id": "Mã lô nhập", "dataset": "Bộ dữ liệu", "row_key": "Khóa dòng (JSON)",
        "before_json": "Giá trị trước (JSON; trống nếu lô thêm mới)",
        "after_json": "Giá trị sau (JSON)"},
    "batch_units": {
        "batch_id": "Mã lô nhập",
        "unit_code": "Mã đơn vị có dòng bị lô thêm hoặc sửa (trống: dòng không gắn đơn vị)",
        "parent_code": "Mã đơn vị cấp trên (chỉ với bộ dữ liệu đơn vị)"},
    "boundaries": {
        "unit_code": "Mã đơn vị", "geometry_wkb": "Hình học đầy đủ (WKB, EPSG:4326)",
        "display_geojson": "Hình học đã đơn giản hóa để vẽ (GeoJSON)",
        "approximate": "Ranh giới gần đúng", "source": "Nguồn", "batch_id": "Lô nhập"},
    "app_meta": {"key": "Khóa", "value": "Giá trị"},
    "ref_provinces": {"province_code": "Mã tỉnh (2 chữ số)", "province_name": "Tên tỉnh"},
    "ref_communes": {
        "commune_code": "Mã xã (5 chữ số)", "commune_name": "Tên xã, phường, đặc khu",
        "commune_type": "Loại (xã, phường, đặc khu)", "province_code": "Mã tỉnh",
        "province_name": "Tên tỉnh", "latitude": "Vĩ độ tâm", "longitude": "Kinh độ tâm",
        "area_km2": "Diện tích (km²)"},
}

MACRO_DOCS = {
    "active_cells": "Các tổ đang hoạt động tại ngày d (thành lập ≤ d, chưa giải thể hoặc "
                    "giải thể sau d).",
    "cells_with_commune": "Mỗi tổ kèm mã xã của nó (xã của thôn, hoặc chính xã).",
    "village_coverage": "Theo thôn tại ngày d: số hộ, số tổ, thành viên, hộ được phụ trách "
                        "(chưa giới hạn và đã giới hạn bằng số hộ).",
    "commune_coverage": "Theo xã tại ngày d: số thôn, số hộ, số tổ, thành viên, hộ được phụ "
                        "trách (định nghĩa ở docs/data-contract.md, mục «Cách tính chỉ số»).",
    "commune_phase": "Giai đoạn của xã tại ngày d (pilot / rollout / none) và ngày bắt đầu.",
}


def column_label(table: str, column: str) -> str:
    from dashboard.contract import DATASETS

    ds = DATASETS.get(table)
    if ds is not None:
        try:
            return ds.column(column).label
        except KeyError:
            return ""
    return _EXTRA_COLUMNS.get(table, {}).get(column, "")


def column_meaning(table: str, column: str) -> str:
    from dashboard.contract import DATASETS

    ds = DATASETS.get(table)
    if ds is not None:
        try:
            return ds.column(column).rules()
        except KeyError:
            return ""
    return ""


TABLE_LABELS = {
    "batches": "Lô nhập", "batch_changes": "Thay đổi theo lô",
    "batch_units": "Đơn vị theo lô", "boundaries": "Ranh giới",
    "app_meta": "Thiết lập", "ref_provinces": "Danh mục tỉnh 2025",
    "ref_communes": "Danh mục xã 2025", "ref_legacy_communes": "Danh mục xã trước 2025",
    "ref_crosswalk": "Chuyển đổi mã xã cũ → mới",
}


def table_label(table: str) -> str:
    from dashboard.contract import DATASETS

    ds = DATASETS.get(table)
    return ds.label if ds is not None else TABLE_LABELS.get(table, "")


def table_doc(table: str) -> str:
    from dashboard.contract import DATASETS

    ds = DATASETS.get(table)
    if ds is not None:
        return f"{ds.label}. {ds.description} Khóa: {', '.join(ds.key)}."
    return TABLE_DOCS.get(table, "")


def search_tables(columns, text: str | None) -> list[str]:
    """The tables of a schema listing (one row per column) whose name, columns, labels or
    meanings contain `text`, compared without diacritics or case; all tables when empty."""
    from dashboard.i18n.text import fold

    if not text:
        return list(dict.fromkeys(columns["table"]))
    needle = fold(text)
    joined = columns.astype(str).agg(" ".join, axis=1).map(fold)
    return sorted(set(columns.loc[joined.str.contains(needle, regex=False), "table"]))
