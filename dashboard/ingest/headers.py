"""Header row → canonical columns: a file's headers matched to the contract (canonical name
or Vietnamese label, case, diacritics and punctuation ignored), with suggestions."""
from __future__ import annotations

from dashboard import contract
from dashboard.contract import Column, Dataset
from dashboard.i18n.text import fold, fold_words
from dashboard.ingest.report import Problem


class DatasetError(ValueError):
    pass


def get_dataset(name: str) -> Dataset:
    try:
        return contract.DATASETS[name]
    except KeyError:
        raise DatasetError(
            f"Không có bộ dữ liệu «{name}». Chọn một trong: "
            + ", ".join(contract.DATASETS)) from None


# --- header mapping -------------------------------------------------------------------------

def map_headers(ds: Dataset, headers: list[str]) -> tuple[dict[str, str], list[Problem]]:
    """file header -> canonical column; problems for missing required and duplicate columns."""
    lookup: dict[str, str] = {}
    for col in ds.columns:
        for key in col.header_keys():
            lookup.setdefault(key, col.name)
    mapping: dict[str, str] = {}
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for h in headers:
        col = lookup.get(fold(h))
        if col is None:
            continue
        if col in seen:
            problems.append(Problem(None, h, "", f"Cột «{h}» trùng với cột «{seen[col]}» "
                                    f"(cùng là {ds.column(col).label})."))
            continue
        seen[col] = h
        mapping[h] = col
    missing = [c for c in ds.columns if c.required and c.name not in seen]
    hint = _other_dataset_hint(ds, headers) if missing else ""
    if hint:   # a file of another dataset: one clear message instead of one per column
        problems.append(Problem(None, None, "", f"{hint} Tệp thiếu các cột bắt buộc của «{ds.label}»: "
                                + ", ".join(f"«{c.label}»" for c in missing) + ".",
                                suggestion="Chọn đúng bộ dữ liệu trước khi tải lên, hoặc tải "
                                "đúng tệp."))
    else:
        for c in missing:
            problems.append(Problem(None, c.label, "",
                                    f"Thiếu cột bắt buộc «{c.label}» ({c.name}).",
                                    suggestion=_header_suggestion(c, headers, seen)))
    for h in headers if not hint else ():
        if h not in mapping and h not in {p.column for p in problems} and \
                not h.startswith("(cột ") and str(h).strip():
            problems.append(Problem(None, h, "", f"Cột «{h}» không có trong mẫu «{ds.label}», "
                                    "bị bỏ qua.", severity="warning"))
    return mapping, problems


def _header_suggestion(col: Column, headers: list[str], seen: dict[str, str]) -> str:
    """'Có phải cột «Ma to»?' for a header close to the missing column's label."""
    from rapidfuzz import fuzz, process

    free = [h for h in headers if h not in seen.values() and str(h).strip()]
    if not free:
        return ""
    hit = process.extractOne(fold_words(col.label), [fold_words(h) for h in free],
                             scorer=fuzz.ratio, score_cutoff=70)
    return f"Có phải cột «{free[hit[2]]}»? Hãy đặt lại tiêu đề là «{col.label}»." if hit else ""


def _other_dataset_hint(ds: Dataset, headers: list[str]) -> str:
    folded = {fold(h) for h in headers}
    best, best_score = None, 0
    for other in contract.DATASETS.values():
        if other.name == ds.name:
            continue
        score = sum(bool(c.header_keys() & folded) for c in other.columns if c.required)
        need = sum(c.required for c in other.columns)
        if score == need and score > best_score:
            best, best_score = other, score
    return (f"Tệp này có vẻ là dữ liệu «{best.label}» ({best.name}), không phải «{ds.label}» "
            f"({ds.name})." if best else "")


# --- cell parsing ---------------------------------------------------------------------------
