"""Every estimate the evaluation page shows, as plain rows: the `evaluate` command
(python -m dashboard evaluate) prints them from the same code as the page."""
from __future__ import annotations

import datetime as dt
import sys

import numpy as np
import pandas as pd

from . import labels
from .cohorts import phase_cohorts
from .coverage import HORIZONS, cell_survival, figures_at_horizons
from .effects import effects
from .findings import default_indicator, estimand, load, load_panel, scaled_panel

COLUMNS = ["kind", "cohort", "cohort_label", "estimand", "point", "estimate", "ci_low",
           "ci_high", "p_value", "p_adjusted", "method", "n_treated", "n_control",
           "design_quality", "evidence"]


def rows(db, as_of, indicator: str | None = None, communes=None, window: int | None = None,
         anticipation: int | None = None, wave: str = "quarter", scale: str = "raw"
         ) -> pd.DataFrame:
    data = load(db, as_of, communes, wave)
    out = []
    for groups, by in (("phase", phase_cohorts(data.cohorts)), ("cohort", data.cohorts)):
        cov = figures_at_horizons(data.history, data.cohorts, data.as_of, HORIZONS, groups)
        for r in cov.itertuples():
            out.append({"kind": f"coverage_{groups}", "cohort": r.cohort,
                        "cohort_label": r.cohort_label,
                        "estimand": f"độ phủ hộ gia đình sau {r.horizon} tháng (%)",
                        "point": r.horizon, "estimate": r.coverage_pct,
                        "ci_low": r.coverage_ci_low, "ci_high": r.coverage_ci_high,
                        "method": "tuyến tính hóa tỷ số, t(n−1)" if np.isfinite(
                            r.coverage_ci_low) else "mô tả (dưới 5 xã)",
                        "n_treated": r.communes})
        surv = cell_survival(data.cells, by, data.as_of)
        for r in surv.itertuples():
            out.append({"kind": f"survival_{groups}", "cohort": r.cohort,
                        "cohort_label": r.cohort_label,
                        "estimand": f"tỷ lệ tổ còn hoạt động sau {r.horizon} tháng (%)",
                        "point": r.horizon, "estimate": r.share_pct, "ci_low": r.ci_low,
                        "ci_high": r.ci_high, "method": "Kaplan–Meier, bootstrap theo xã",
                        "n_treated": r.communes})
    indicator = indicator or default_indicator(data.indicators)
    if indicator:
        panel = scaled_panel(load_panel(db, as_of, indicator, communes), data.cohorts, scale)
        res = effects(panel, data.cohorts, window, anticipation)
        k = res.window
        for e in res.estimates:
            common = {"cohort": e.cohort, "cohort_label": e.cohort_label,
                      "method": labels.METHOD_LABELS[e.method], "n_treated": e.n_treated,
                      "n_control": e.n_control, "design_quality": e.design["label"],
                      "evidence": e.evidence["label"]}
            out.append({"kind": "effect", "estimand": estimand(k, scale), "point": "",
                        "estimate": e.estimate,
                        "ci_low": e.ci_low if e.has_interval else np.nan,
                        "ci_high": e.ci_high if e.has_interval else np.nan,
                        "p_value": e.p_value, "p_adjusted": e.p_adjusted, **common})
            out.append({"kind": "pretrend_test", "point": "",
                        "estimand": "kiểm định chung các tháng trước khi bắt đầu",
                        "estimate": np.nan, "p_value": e.pretrend_p, **common})
            for r in res.event[res.event["cohort"] == e.cohort].itertuples():
                out.append({"kind": "event_study", "point": r.label,
                            "estimand": "chênh lệch so với xã chưa bắt đầu tại tháng "
                                        "so với tháng bắt đầu", "estimate": r.estimate,
                            "ci_low": r.ci_low, "ci_high": r.ci_high, "p_value": r.p_value,
                            **{**common, "n_treated": r.communes}})
    df = pd.DataFrame(out)
    for c in COLUMNS:
        if c not in df:
            df[c] = np.nan
    df = df[COLUMNS]
    for c in ("n_treated", "n_control"):
        df[c] = pd.to_numeric(df[c]).round().astype("Int64")
    df.insert(0, "indicator", indicator or "")
    df.insert(1, "as_of", pd.Timestamp(data.as_of))
    return df


def add_arguments(p) -> None:
    p.add_argument("--indicator", help="mã chỉ số (mặc định: chỉ số có nhiều số liệu nhất)")
    p.add_argument("--as-of", dest="as_of", help="ngày tính (YYYY-MM-DD, mặc định hôm nay)")
    p.add_argument("--anticipation", type=int, help="số tháng dự kiến bỏ ra trước khi bắt đầu")
    p.add_argument("--window", type=int, help="k: số tháng đầu của ước lượng (mặc định 12)")
    p.add_argument("--communes", nargs="+", metavar="MÃ_XÃ", help="chỉ các xã này")
    p.add_argument("--wave", choices=["quarter", "year"], default="quarter")
    p.add_argument("--scale", choices=["raw", "per_1000"], default="raw",
                   help="giá trị hằng tháng hoặc trên 1.000 hộ")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument("--db", help="tệp cơ sở dữ liệu (mặc định $DASHBOARD_DB hoặc "
                                "data/dashboard.duckdb)")


def main(args, print_frame) -> int:
    """Exit 0 with the rows; 1 when there is nothing to evaluate; 2 on usage errors."""
    from dashboard import store
    from dashboard.store import queries

    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else dt.date.today()
    except ValueError:
        print(f"Ngày không hợp lệ: «{args.as_of}» (cần YYYY-MM-DD)", file=sys.stderr)
        return 2
    for name in ("anticipation", "window"):
        v = getattr(args, name)
        if v is not None and (v < 0 or (name == "window" and v < 1)):
            print(f"--{name} không hợp lệ: {v}", file=sys.stderr)
            return 2
    db = store.Database(args.db, read_only=True) if args.db else store.Database(read_only=True)
    try:
        known = queries.run(db, "eval_indicators", as_of=as_of, communes=args.communes)
        if args.indicator and args.indicator not in set(known["indicator"]):
            print(f"Không có chỉ số «{args.indicator}» đến ngày {as_of.isoformat()}. Có: "
                  f"{', '.join(known['indicator']) or '(không có)'}", file=sys.stderr)
            return 2
        df = rows(db, as_of, args.indicator, args.communes, args.window, args.anticipation,
                  args.wave, args.scale)
    finally:
        db.close()
    print_frame(df, args.format)
    return 0 if len(df) else 1
