"""Who has reported: per month and commune in scope, whether the expected indicators arrived,
when (the batch that completed the report) and whether on time; rates per month and per
commune; the reminder list; the map of reporting rates. Figures come from the named queries
reporting_completeness, reporting_rate_by_month, reporting_rate_by_commune and
registry_last_update (store/sql/)."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard import config
from dashboard.access import audit
from dashboard.access.principal import LOCAL, Principal
from dashboard.contract import indicator_label
from dashboard.i18n import fmt
from dashboard.reporting.scope import narrow  # noqa: F401  (pages call rc.narrow)
from dashboard.store import queries

STATUS_LABELS = {"complete": "Đủ", "partial": "Thiếu chỉ số", "missing": "Chưa báo cáo",
                 "none_expected": "Không phải báo cáo"}


class SettingsError(Exception):
    """A reporting setting that cannot be saved (Vietnamese message)."""


def _run(db, name, run=None, **params):
    return run(name, **params) if run is not None else queries.run(db, name, **params)


def month_text(period: str) -> str:
    return f"tháng {fmt.month(period)}"


def shift(period: str, months: int) -> str:
    return str(pd.Period(period, freq="M") + months)


def window(end_period: str, months: int | None = None) -> dict:
    """start_period/end_period of the rate queries: the `months` months ending at end_period."""
    months = months or config.get("reporting_months")
    return {"start_period": shift(end_period, 1 - months), "end_period": end_period}


def not_due(due_on, today: dt.date | None = None) -> bool:
    """True while the due date has not passed (a report may still come on time)."""
    return pd.Timestamp(due_on).date() >= (today or dt.date.today())


def version(db) -> str:
    """Changes whenever the reporting cycle's own tables change (approvals, the expected
    indicators, the contacts to remind): with the data version, a cache key for its figures."""
    return str(db.scalar("""
        SELECT (SELECT count(*) || '.' || count(unlocked_at) FROM approvals) || '/'
            || (SELECT count(*) || '.' || coalesce(hash(list(row(province_code, indicator)
                   ORDER BY province_code, indicator)), 0) FROM reporting_expected) || '/'
            || (SELECT count(*) || '.' || coalesce(hash(list(row(unit_code, contact_unit,
                   contact_person, phone, email) ORDER BY unit_code)), 0)
                FROM reporting_contacts)"""))


def latest_period(db) -> str | None:
    """The latest month with any indicator row (the month being reported)."""
    return db.scalar("SELECT max(period) FROM indicators")


def period_options(db, today: dt.date | None = None) -> list[str]:
    """Months to choose, newest first: from the first reported month to the month before
    today (or the latest reported month if later)."""
    first = db.scalar("SELECT min(period) FROM indicators")
    today = today or dt.date.today()
    last = str(pd.Period(today, freq="M") - 1)
    newest = latest_period(db)
    if newest and newest > last:
        last = newest
    if not first:
        return [last]
    return [str(p) for p in pd.period_range(first, last, freq="M")][::-1]


def status(db, period: str, principal: Principal = LOCAL, communes=None,
           due_day: int | None = None, run=None) -> pd.DataFrame:
    """reporting_completeness for the communes in scope (and among `communes`)."""
    return _run(db, "reporting_completeness", run, period=period,
                communes=narrow(db, principal, communes),
                due_day=due_day or config.get("report_due_day"))


def within(status_all: pd.DataFrame, communes: list[str] | None) -> pd.DataFrame:
    """status(..., communes=None) narrowed to `communes` (narrow()'s result) without running
    the query again: the same rows in the same order as status(..., communes) (one row per
    commune, the query's order is total and its filter comes last)."""
    if communes is None:
        return status_all
    return status_all[status_all["commune_code"].isin(communes)].reset_index(drop=True)


def by_month(db, end_period: str, principal: Principal = LOCAL, communes=None,
             months: int | None = None, due_day: int | None = None, run=None) -> pd.DataFrame:
    months = months or config.get("reporting_months")
    return _run(db, "reporting_rate_by_month", run, start_period=shift(end_period, 1 - months),
                end_period=end_period, communes=narrow(db, principal, communes),
                due_day=due_day or config.get("report_due_day"))


def by_commune(db, end_period: str, principal: Principal = LOCAL, communes=None,
               months: int | None = None, due_day: int | None = None,
               run=None) -> pd.DataFrame:
    months = months or config.get("reporting_months")
    return _run(db, "reporting_rate_by_commune", run,
                start_period=shift(end_period, 1 - months), end_period=end_period,
                communes=narrow(db, principal, communes),
                due_day=due_day or config.get("report_due_day"))


def registry_updates(db, principal: Principal = LOCAL, communes=None, run=None):
    return _run(db, "registry_last_update", run, communes=narrow(db, principal, communes))


def summary(st_: pd.DataFrame) -> dict:
    """Counts of one month's status table (communes expected to report)."""
    s = st_[st_["status"] != "none_expected"]
    n = len(s)
    complete = int((s["status"] == "complete").sum())
    on_time = int(sum(1 for o in s["on_time"] if not pd.isna(o) and bool(o)))
    return {"communes": n, "complete": complete,
            "partial": int((s["status"] == "partial").sum()),
            "missing": int((s["status"] == "missing").sum()), "on_time": on_time,
            "late": int(sum(1 for o in s["on_time"] if not pd.isna(o) and not bool(o))),
            "approved": int(s["approved"].sum()),
            "reporting_rate": 100.0 * complete / n if n else 0.0,
            "on_time_rate": 100.0 * on_time / n if n else 0.0}


def _indicators_text(codes) -> str:
    if not isinstance(codes, str) or not codes:
        return ""
    return "; ".join(indicator_label(c.strip()) for c in codes.split(","))


STATUS_COLUMNS = {
    "commune_code": "Mã xã", "commune_name": "Xã, phường", "status_label": "Tình trạng",
    "received_text": "Chỉ số đã nhận", "reported_at": "Ngày nhận", "timeliness": "Đúng hạn",
    "batch_id": "Lô nhập", "due_on": "Hạn báo cáo", "missing_text": "Chỉ số còn thiếu",
    "approved_text": "Đã duyệt"}


def status_table(st_: pd.DataFrame) -> pd.DataFrame:
    """One month's status as shown to users (Vietnamese headers and labels)."""
    df = st_.copy()
    df["status_label"] = df["status"].map(STATUS_LABELS)
    df["received_text"] = [f"{fmt.number(r)}/{fmt.number(e)}"
                           for r, e in zip(df["received"], df["expected"])]
    df["missing_text"] = df["missing_indicators"].map(_indicators_text)
    df["timeliness"] = ["–" if pd.isna(o) else "Đúng hạn" if bool(o)
                        else f"Trễ {fmt.number(d)} ngày"
                        for o, d in zip(df["on_time"].astype(object), df["days_late"])]
    df["approved_text"] = ["Đã duyệt" if a else "" for a in df["approved"]]
    df["reported_at"] = pd.to_datetime(df["reported_at"]).dt.date
    df["due_on"] = pd.to_datetime(df["due_on"]).dt.date
    df["batch_id"] = df["batch_id"].astype("Int64")
    return df[list(STATUS_COLUMNS)].rename(columns=STATUS_COLUMNS)


REMINDER_COLUMNS = {
    "commune_code": "Mã xã", "commune_name": "Xã, phường", "status_label": "Tình trạng",
    "missing_text": "Chỉ số còn thiếu", "contact_unit": "Đơn vị liên hệ",
    "contact_person": "Người liên hệ", "contact_phone": "Điện thoại",
    "last_reported": "Tháng gần nhất có báo cáo", "due_on": "Hạn báo cáo"}


def reminder_list(st_: pd.DataFrame) -> pd.DataFrame:
    """Communes that have not (fully) reported the month, whom to contact: for a reminder."""
    df = st_[st_["status"].isin(["missing", "partial"])].copy()
    df["status_label"] = df["status"].map(STATUS_LABELS)
    df["missing_text"] = df["missing_indicators"].map(_indicators_text)
    df["last_reported"] = [fmt.month(p) if isinstance(p, str) else "chưa có"
                           for p in df["last_reported_period"]]
    df["due_on"] = pd.to_datetime(df["due_on"]).dt.date
    return df[list(REMINDER_COLUMNS)].rename(columns=REMINDER_COLUMNS).reset_index(drop=True)


def rate_map(db, end_period: str, principal: Principal = LOCAL, communes=None,
             months: int | None = None, run=None, height: int = 560):
    """The communes coloured by their reporting rate over the last `months` months (the map
    layers of output/maps.py; no tiles, works offline)."""
    from dashboard.output import maps

    months = months or config.get("reporting_months")
    scope = narrow(db, principal, communes)
    layer = maps.build_layer(db, "commune", dt.date.today(), scope, "coverage_pct", run=run)
    rates = by_commune(db, end_period, principal, communes, months, run=run)
    metric = maps.Metric("reporting_rate", f"Tỷ lệ báo cáo đủ ({fmt.number(months)} tháng)",
                         "percent", True)
    frame = layer.frame.drop(columns=["value"]).merge(
        rates[["commune_code", "reporting_rate", "on_time_rate", "months", "complete"]]
        .rename(columns={"commune_code": "unit_code"}), on="unit_code", how="left")
    frame["value"] = frame["reporting_rate"]
    layer.frame, layer.metric = frame, metric
    layer.classes = maps.classify(frame["value"], "equal_interval", 5, metric)
    frame["class"] = layer.classes.labels.values
    frame["hover"] = [
        f"<b>{r.unit_name}</b> ({r.unit_code})<br>{metric.label}: <b>{metric.format(r.value)}"
        f"</b><br>Đúng hạn: {maps.Metric('x', '', 'percent').format(r.on_time_rate)}"
        f"<br>Số tháng đủ: {fmt.number(r.complete) if pd.notna(r.complete) else '–'}"
        f"/{fmt.number(r.months) if pd.notna(r.months) else '–'}"
        for r in frame.itertuples(index=False)]
    title = (f"Tỷ lệ báo cáo đủ theo xã, {month_text(shift(end_period, 1 - months))} – "
             f"{fmt.month(end_period)}")
    return maps.layer_figure(layer, title=title, height=height), layer


# --- settings: expected indicators and contacts ---------------------------------------------

def expected_indicators(db, province_code: str) -> tuple[list[str], bool]:
    """(indicators the province is expected to report, configured?) — not configured means
    every indicator the province has ever reported."""
    conf = db.df("SELECT indicator FROM reporting_expected WHERE province_code = ? "
                 "ORDER BY indicator", [province_code])
    if len(conf):
        return list(conf["indicator"]), True
    ever = db.df("""
        SELECT DISTINCT i.indicator FROM indicators i JOIN units u USING (unit_code)
        LEFT JOIN units c ON c.unit_code = u.parent_code
        LEFT JOIN units d ON d.unit_code = c.parent_code
        WHERE ? IN (u.parent_code, c.parent_code, d.parent_code) ORDER BY 1""",
                 [province_code])
    return list(ever["indicator"]), False


def set_expected(db, province_code: str, indicators: list[str] | None,
                 principal: Principal = LOCAL) -> None:
    """Store the province's expected indicators; None or [] = back to the default."""
    if not principal.can("reporting_settings"):
        raise SettingsError("Chỉ quản trị viên được đổi danh sách chỉ số phải báo cáo.")
    if principal.scope is not None and province_code not in principal.scope:
        raise SettingsError("Tỉnh này nằm ngoài phạm vi của bạn.")
    items = sorted({i.strip() for i in indicators or [] if i and i.strip()})
    with db.transaction() as cur:
        cur.execute("DELETE FROM reporting_expected WHERE province_code = ?", [province_code])
        if items:
            cur.executemany("INSERT INTO reporting_expected VALUES (?, ?)",
                            [[province_code, i] for i in items])
        audit.record(db, principal, "reporting_settings",
                     f"Chỉ số phải báo cáo của tỉnh {province_code}: "
                     + (", ".join(items) if items else "mặc định (mọi chỉ số đã từng báo cáo)"),
                     cur=cur)


def set_contact(db, unit_code: str, contact_unit: str | None, contact_person: str | None = None,
                phone: str | None = None, email: str | None = None,
                principal: Principal = LOCAL) -> None:
    """Whom to remind for a commune (empty contact unit = the default, the commune's UBND)."""
    if not principal.can("reporting_settings"):
        raise SettingsError("Chỉ quản trị viên được đổi đơn vị liên hệ.")
    allowed = narrow(db, principal, [unit_code])
    if allowed != [unit_code] and principal.scope is not None:
        raise SettingsError("Xã này nằm ngoài phạm vi của bạn.")

    def clean(v):
        return v.strip() if isinstance(v, str) and v.strip() else None
    with db.transaction() as cur:
        cur.execute("DELETE FROM reporting_contacts WHERE unit_code = ?", [unit_code])
        values = [clean(contact_unit), clean(contact_person), clean(phone), clean(email)]
        if any(values):
            cur.execute("INSERT INTO reporting_contacts VALUES (?, ?, ?, ?, ?)",
                        [unit_code, *values])
        audit.record(db, principal, "reporting_settings",
                     f"Đơn vị liên hệ của xã {unit_code}: {values[0] or 'mặc định'}", cur=cur)


RATE_LABELS = {"commune_code": "Mã xã", "commune_name": "Xã, phường", "months": "Số tháng",
               "complete": "Tháng đủ", "partial": "Tháng thiếu chỉ số",
               "missing": "Tháng chưa báo cáo", "on_time": "Tháng đúng hạn",
               "reporting_rate": "Tỷ lệ báo cáo đủ (%)", "on_time_rate": "Tỷ lệ đúng hạn (%)",
               "last_complete_period": "Tháng đủ gần nhất"}
REGISTRY_LABELS = {"commune_code": "Mã xã", "commune_name": "Xã, phường", "cells": "Số tổ",
                   "cells_updated_at": "Sổ tổ cập nhật lần cuối", "models": "Số mô hình",
                   "models_updated_at": "Sổ mô hình cập nhật lần cuối",
                   "indicators_updated_at": "Chỉ số cập nhật lần cuối"}


def reported_indicators(db) -> list[str]:
    """Every indicator code present in the data."""
    return list(db.df("SELECT DISTINCT indicator FROM indicators ORDER BY 1")["indicator"])
