"""Effects of the cohorts on an outcome indicator: estimation + inference + labels, the one
function the page, the CLI, the summary and the meeting pack all call."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from dashboard import config

from . import estimation as est
from . import inference as inf
from . import labels
from .cohorts import ALL_STARTED


@dataclass
class Estimate:
    cohort: str
    cohort_label: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    p_adjusted: float
    method: str
    n_treated: int
    n_control: int
    n_declared: int
    pre_months: float
    missing_share: float
    pretrend_p: float
    window: int
    anticipation: int
    before_mean: float = np.nan
    after_mean: float = np.nan
    control_before_mean: float = np.nan
    control_after_mean: float = np.nan
    n_control_never: int = 0
    design: dict = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)

    @property
    def has_interval(self) -> bool:
        return self.method != "descriptive" and np.isfinite(self.ci_low)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Effects:
    estimates: list[Estimate]
    event: pd.DataFrame             # cohort, point, label, e_order, estimate, ci_low, ci_high,
    window: int                     # p_value, communes, kind (lead/anticipation/post)
    anticipation: int

    def main(self) -> Estimate | None:
        return next((e for e in self.estimates if e.cohort == ALL_STARTED),
                    self.estimates[0] if self.estimates else None)

    def by_cohort(self) -> dict:
        return {e.cohort: e for e in self.estimates}


EVENT_COLS = ["cohort", "point", "label", "order", "kind", "estimate", "ci_low", "ci_high",
              "p_value", "communes"]


def _method(n: int) -> str:
    if n < config.get("eval_min_communes_inference"):
        return "descriptive"
    if n < config.get("eval_min_communes_bootstrap"):
        return "permutation"
    return "bootstrap"


def _kind(point, delta: int) -> str:
    if point == est.LO_BIN or (point != est.HI_BIN and point < -delta):
        return "lead"
    if point != est.HI_BIN and point < 0:
        return "anticipation"
    return "post"


def effects(panel: pd.DataFrame, cohorts: pd.DataFrame, window: int | None = None,
            anticipation: int | None = None, seed: int | None = None,
            permutations: int | None = None, bootstrap_draws: int | None = None) -> Effects:
    """Every cohort's effect, the all-cohorts effect and their event studies.
    panel: commune_code, month, value (prepare_panel); cohorts: assign_cohorts()."""
    k = int(window or config.get("eval_window_months"))
    delta = int(config.get("eval_anticipation_months") if anticipation is None
                else anticipation)
    seed = config.get("eval_seed") if seed is None else seed
    alpha = config.get("eval_alpha")
    p = est.build_panel(panel, cohorts, delta)
    tgts = est.targets(p)
    cells = est.all_cells(p)
    empty = Effects([], pd.DataFrame(columns=EVENT_COLS), k, delta)
    if not tgts or not len(cells):
        return empty
    pts = est.points(k, delta)
    M = est.membership(cells, pts, k)
    sog, sizes = est.start_of_gid(p), est.group_sizes(p)
    n_groups = len(sizes)
    att = est.cell_att(p, cells, [p.Y], p.group[None, :], sog)[0]
    gp = est.group_points(att, cells, M, n_groups)
    theta = {t.key: est.target_points(gp, t.gids, sizes)[0] for t in tgts}
    facts = {t.key: est.design_facts(p, cells, M, att, t, k) for t in tgts}
    methods = {t.key: _method(facts[t.key]["n_treated"]) for t in tgts}
    rng = np.random.default_rng(seed)

    # randomisation inference: one set of drawn assignments for every target that needs it
    perm = {}
    perm_t = [t for t in tgts if methods[t.key] == "permutation"]
    if perm_t:
        gids = sorted({j for t in perm_t for j in t.gids})
        needed = np.flatnonzero(np.isin(cells.gid, gids))
        sub = est.Cells(cells.gid[needed], cells.e[needed])
        assign = inf.permuted_assignments(rng, p.group, permutations or config.get("eval_permutations"))
        D = p.D()
        a_cells, b_cells = est.cell_att(p, sub, [p.Y, D], assign, sog)
        d_obs = est.cell_att(p, sub, [D], p.group[None, :], sog)[0]
        gp_a = est.group_points(a_cells, sub, M[needed], n_groups)
        gp_b = est.group_points(b_cells, sub, M[needed], n_groups)
        gp_d = est.group_points(d_obs, sub, M[needed], n_groups)
        for t in perm_t:
            perm[t.key] = (est.target_points(gp_a, t.gids, sizes),
                           est.target_points(gp_b, t.gids, sizes),
                           est.target_points(gp_d, t.gids, sizes)[0])
    # wild cluster bootstrap: influence functions with the small-sample factor n/(n−1)
    boot = {}
    boot_t = [t for t in tgts if methods[t.key] == "bootstrap"]
    if boot_t:
        V = inf.webb_weights(rng, bootstrap_draws or config.get("eval_bootstrap_draws"),
                             len(p.codes))
        pieces = est.group_influence(p, cells, M, att)
        for t in boot_t:
            f = facts[t.key]
            Phi = est.influence(p, pieces, gp, t.gids, theta[t.key])
            members = np.isin(p.group, t.gids)
            nt, nc = max(f["n_treated"], 2), max(f["n_control"], 2)
            Phi *= np.where(members, np.sqrt(nt / (nt - 1)), np.sqrt(nc / (nc - 1)))[:, None]
            boot[t.key] = (Phi, V @ Phi)

    out, rows = [], []
    lead_idx = [i for i, pt in enumerate(pts) if pt != "effect" and _kind(pt, delta) == "lead"]
    for t in tgts:
        m, f, th = methods[t.key], facts[t.key], theta[t.key]

        def interval(i, m=m, t=t, th=th):
            if m == "permutation":
                a, b, d_obs = perm[t.key]
                return (inf.permutation_interval(th[i], d_obs[i], a[:, i], b[:, i], 1 - alpha),
                        inf.permutation_p(th[i], a[:, i]))
            if m == "bootstrap":
                draws = boot[t.key][1]
                c = inf.t_factor(facts[t.key]["n_treated"], 1 - alpha)
                return (inf.bootstrap_interval(th[i], draws[:, i], 1 - alpha, c),
                        inf.bootstrap_p(th[i], draws[:, i], c))
            return (np.nan, np.nan), np.nan

        (lo, hi), pv = interval(0)
        leads = [i for i in lead_idx if np.isfinite(th[i])]
        ptrend = np.nan
        if leads and m == "permutation":
            ptrend = inf.permutation_wald_p(th[leads], perm[t.key][0][:, leads])
        elif leads and m == "bootstrap":
            ptrend = inf.hotelling_p(th[leads], boot[t.key][0][:, leads], f["n_treated"])
        out.append(Estimate(t.key, t.label, float(th[0]), lo, hi, pv, pv, m,
                            f["n_treated"], f["n_control"], f["n_declared"], f["pre_months"],
                            f["missing_share"], ptrend, k, delta,
                            n_control_never=f["n_control_never"]))
        counts = _event_counts(p, gp, t, sizes)
        for i, pt in enumerate(pts[1:], start=1):
            (elo, ehi), ep = interval(i)
            rows.append({"cohort": t.key, "point": pt, "label": est.event_label(pt, k),
                         "order": 0, "kind": _kind(pt, delta), "estimate": th[i],
                         "ci_low": elo, "ci_high": ehi, "p_value": ep,
                         "communes": counts[i]})
        base = -1 - delta
        rows.append({"cohort": t.key, "point": base, "label": est.event_label(base, k),
                     "order": 0, "kind": "base", "estimate": 0.0, "ci_low": np.nan,
                     "ci_high": np.nan, "p_value": np.nan, "communes": np.nan})
    _adjust_and_label(out)
    event = pd.DataFrame(rows, columns=EVENT_COLS)
    event["order"] = [_order(pt, k) for pt in event["point"]]
    event = event.sort_values(["cohort", "order"]).reset_index(drop=True)
    _before_after(out, panel, cohorts, k, delta)
    return Effects([e for e in out if np.isfinite(e.estimate)], event, k, delta)


def _order(point, k):
    if point == est.LO_BIN:
        return -k
    if point == est.HI_BIN:
        return k
    return point


def _event_counts(p, gp, t, sizes) -> np.ndarray:
    """Started communes (of the groups with an estimate) behind each point."""
    present = np.isfinite(gp[0, t.gids, :])
    return (sizes[t.gids][:, None] * present).sum(0).astype(int)


def _adjust_and_label(out: list[Estimate]) -> None:
    cohorts = [e for e in out if e.cohort != ALL_STARTED]
    adj = inf.holm([e.p_value for e in cohorts])
    for e, a in zip(cohorts, adj):
        e.p_adjusted = float(a)
    valid = [(e.estimate, e.p_adjusted) for e in cohorts if e.method != "descriptive"]
    for e in out:
        e.design = labels.design_quality(e.n_treated, e.n_control, e.pre_months,
                                         e.missing_share, e.pretrend_p)
        agree = labels.agreement(e.estimate, valid)
        e.evidence = labels.evidence(e.method, e.estimate, e.p_adjusted, e.pretrend_p, agree,
                                     e.design["grade"], e.n_treated,
                                     adjusted=e.cohort != ALL_STARTED and len(cohorts) > 1)


def _before_after(out: list[Estimate], panel: pd.DataFrame, cohorts: pd.DataFrame, k: int,
                  delta: int) -> None:
    """Mean monthly value per commune of the started communes in the k months before the start
    (anticipation months excluded) and the first k months, and of the communes not yet
    started in the same calendar months (descriptive; no inference). The panel's rows are
    joined to the cohorts by position (communes as integer codes in sorted order, so groups,
    their order and every mean are those of the merge on commune_code)."""
    if panel.empty:
        return
    c = cohorts[["commune_code", "cohort", "start_month"]].copy()
    c["start"] = c["start_month"].astype("Float64").fillna(np.inf).astype(float)
    if c["commune_code"].duplicated().any():      # a commune listed twice: the merge's rows
        m = panel.merge(c, on="commune_code", how="inner")
        code = pd.Categorical(m["commune_code"])
        c_code = pd.Categorical(c["commune_code"], categories=code.categories).codes
        p_code, month, start = code.codes, m["month"].to_numpy(), m["start"].to_numpy(float)
        value = m["value"].reset_index(drop=True)
    else:
        cats = pd.Categorical(c["commune_code"])
        row = est.positions(c["commune_code"], panel["commune_code"])
        keep = np.flatnonzero(row >= 0)
        row = row[keep]
        c_code = cats.codes
        p_code, month = c_code[row], panel["month"].to_numpy()[keep]
        start = c["start"].to_numpy(float)[row]
        value = panel["value"].iloc[keep].reset_index(drop=True)
    control = {}        # start month -> control means (the same for every estimate)

    def control_means(s):
        if s not in control:
            ctrl = start > s + k - 1 + delta
            control[s] = (value[ctrl & (month >= s - k - delta) & (month < s - delta)].mean(),
                          value[ctrl & (month >= s) & (month < s + k)].mean())
        return control[s]

    finite = np.isfinite(c["start"].to_numpy(float)) & (c["cohort"] != "none").to_numpy()
    for e in out:
        sel = finite if e.cohort == ALL_STARTED else finite & (c["cohort"] == e.cohort).to_numpy()
        mine = c[sel]
        if mine.empty:
            continue
        tp = np.isin(p_code, c_code[sel])
        rel = month - start
        before = tp & (rel >= -k - delta) & (rel < -delta)
        after = tp & (rel >= 0) & (rel < k)
        bef = value[before].groupby(p_code[before]).mean()
        aft = value[after].groupby(p_code[after]).mean()
        e.before_mean = float(bef.mean()) if len(bef) else np.nan
        e.after_mean = float(aft.mean()) if len(aft) else np.nan
        # controls: same calendar months, communes not started by the end of each window
        bm, am = [], []
        for s in mine["start"].unique():
            b, a = control_means(s)
            bm.append(b)
            am.append(a)
        w = mine.groupby("start").size().reindex(mine["start"].unique()).to_numpy(float)
        for name, vals in (("control_before_mean", bm), ("control_after_mean", am)):
            v = np.asarray(vals, float)
            ok = np.isfinite(v)
            setattr(e, name, float(np.average(v[ok], weights=w[ok])) if ok.any() else np.nan)
