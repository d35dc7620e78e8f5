"""Callaway–Sant'Anna group-time effects ATT(g,t) with not-yet-started controls, and their
aggregation per cohort, per month since start (event study) and overall.

Why this estimator: with staggered starts and effects that differ by cohort or grow with
time, two-way fixed-effects and stacked regressions average effects with weights that follow
commune-months (some negative), so their estimand is undefined. ATT(g,t) compares, for the
communes that started in month g, the change of the indicator from the base month g−1−δ
(δ = anticipation months) to month t with the same change in the communes that had not yet
started by then; every comparison is a plain difference of means, the estimand of every
aggregate is stated (an average with weights by commune), and the estimator is linear in the
outcome, so randomisation inference and the wild bootstrap reuse it exactly. (The imputation
estimator of Borusyak–Jaravel–Spiess would also do; ATT(g,t) was chosen because each of its
cells is a comparison a board member can check by hand.)

Definitions (months are calendar month numbers; see dates.month_index)
- Group: the communes of one cohort (pilot, rollout wave) that started in the same month g.
- Cell (g, e): month t = g + e, base month b = g − 1 − δ. Treated: the group's communes with
  a value in both t and b. Controls: communes not started by max(t, b) + δ (later cohorts
  and communes with no cell), with a value in both months. ATT = mean change of treated −
  mean change of controls. e = −1−δ is the base (0 by construction); e in [−δ, −1] are the
  anticipation months, left out of the effect and of the pre-trend test.
- Weights: every aggregate is an average of cells with weight = the number of communes of the
  group (so each commune counts the same, whatever its number of months); cells with no
  treated or no control value are left out and the weights renormalised.
- effect (the estimand): the average over e = 0 … k−1 — "thay đổi trung bình mỗi tháng
  trong k tháng đầu so với các xã chưa bắt đầu".
- event study: one point per e in (−k, k); the ends are bins "≤ −k" (all e ≤ −k) and
  "≥ +k" (all e ≥ k).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .cohorts import ALL_STARTED, ALL_STARTED_LABEL, NONE
from .dates import month_index, month_indices, to_date

LO_BIN, HI_BIN = "lo", "hi"


@dataclass
class Panel:
    """The indicator as a commune × month matrix with each commune's start."""
    codes: np.ndarray           # N commune codes
    first: int                  # month index of column 0
    Y: np.ndarray               # N × T values (NaN = no report)
    group: np.ndarray           # N group id (−1 = not started in the data's terms)
    groups: pd.DataFrame        # one row per group: gid, cohort, cohort_label, g, size
    start: np.ndarray           # N start month (inf = not started)
    delta: int = 0

    @property
    def T(self) -> int:
        return self.Y.shape[1]

    @property
    def last(self) -> int:
        return self.first + self.T - 1

    def D(self) -> np.ndarray:
        """1 from each commune's start month on (the treatment as the data records it)."""
        months = self.first + np.arange(self.T)
        return (months[None, :] >= self.start[:, None]).astype(float)


def positions(keys, values) -> np.ndarray:
    """pd.Index(keys).get_indexer(values): the position of each value among the (unique)
    keys, −1 where it is absent or missing. Each distinct value is looked up once: a panel's
    600,000 commune codes cost a lookup of its 3,321 communes."""
    codes, uniques = pd.factorize(values if isinstance(values, pd.Series) else pd.Series(values))
    where = pd.Index(keys).get_indexer(uniques)
    out = np.full(len(codes), -1, dtype=np.intp)
    ok = codes >= 0
    out[ok] = where[codes[ok]]
    return out


def prepare_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """eval_indicator_panel rows -> commune_code, month (index), value."""
    p = panel[["commune_code", "period", "value"]].copy()
    p["month"] = month_indices(p["period"]).astype(int) if len(p) else pd.Series(dtype=int)
    p["value"] = p["value"].astype(float)
    return p[["commune_code", "month", "value"]]


def panel_at(panel: pd.DataFrame, as_of) -> pd.DataFrame:
    """prepare_panel() of eval_indicator_panel at as_of from prepare_panel() of
    eval_indicator_series (every month): the months up to the month of as_of, same order."""
    kept = panel[(panel["month"] <= month_index(to_date(as_of))).to_numpy(bool)]
    return kept.reset_index(drop=True)


def per_households(panel: pd.DataFrame, cohorts: pd.DataFrame) -> pd.DataFrame:
    """Values per 1.000 households of the commune (communes with 0 households dropped)."""
    hh = cohorts.set_index("commune_code")["households"].astype(float)
    p = panel.copy()
    # p["commune_code"].map(hh): position −1 (no such commune) reads the NaN appended
    h = pd.Series(np.append(hh.to_numpy(float), np.nan)[positions(hh.index, p["commune_code"])],
                  index=p.index)
    p["value"] = 1000.0 * p["value"] / h.where(h > 0)
    return p[p["value"].notna()].reset_index(drop=True)


def build_panel(panel: pd.DataFrame, cohorts: pd.DataFrame, anticipation: int = 0) -> Panel:
    """The matrix of every commune in `cohorts` over the months of the panel."""
    c = cohorts.reset_index(drop=True)
    codes = c["commune_code"].astype(str).to_numpy()
    if panel.empty:
        first, T = 0, 0
    else:
        first, T = int(panel["month"].min()), int(panel["month"].max() - panel["month"].min() + 1)
    Y = np.full((len(codes), T), np.nan)
    if T:
        row = positions(codes, panel["commune_code"].astype(str))
        ok = row >= 0
        Y[row[ok], (panel["month"].to_numpy()[ok] - first).astype(int)] = \
            panel["value"].to_numpy(float)[ok]
    start = c["start_month"].astype("Float64").fillna(np.inf).to_numpy(float)
    started = np.isfinite(start) & (c["cohort"] != NONE).to_numpy()
    start = np.where(started, start, np.inf)
    key = pd.Series(np.where(started, c["cohort"].astype(str) + "\x1f"
                             + np.where(started, start, 0).astype(np.int64).astype(str), ""))
    gid = np.full(len(codes), -1)
    rows = []
    if started.any():
        cats = pd.Categorical(key[started])
        gid[started] = cats.codes
        for j, k in enumerate(cats.categories):
            cohort, g = k.split("\x1f")
            members = c.loc[started].loc[cats.codes == j]
            rows.append({"gid": j, "cohort": cohort,
                         "cohort_label": members["cohort_label"].iloc[0],
                         "cohort_order": members["cohort_order"].iloc[0],
                         "g": int(g), "size": int(len(members))})
    groups = pd.DataFrame(rows, columns=["gid", "cohort", "cohort_label", "cohort_order", "g",
                                         "size"])
    return Panel(codes, first, Y, gid, groups, start, int(anticipation))


# --------------------------------------------------------------------------------------------
# cells and targets
@dataclass
class Cells:
    """The (group, e) cells the aggregates need, in the order of the weight matrix rows."""
    gid: np.ndarray
    e: np.ndarray

    def __len__(self):
        return len(self.gid)


@dataclass
class Target:
    """One set of groups (a cohort or all started) and its aggregates (weight columns)."""
    key: str
    label: str
    gids: list
    columns: list = field(default_factory=list)   # names: 'effect', ('es', e|LO|HI)


def event_keys(k: int, delta: int) -> list:
    """Event-study points: '≤ −k' bin, −k+1 … k−1 except the base −1−δ, '≥ +k' bin."""
    base = -1 - delta
    return [LO_BIN] + [e for e in range(-k + 1, k) if e != base] + [HI_BIN]


def event_label(point, k: int) -> str:
    if point == LO_BIN:
        return f"≤ −{k}"
    if point == HI_BIN:
        return f"≥ +{k}"
    return f"{point:+d}".replace("-", "−") if point else "0"


def _in_point(e: np.ndarray, point, k: int) -> np.ndarray:
    if point == LO_BIN:
        return e <= -k
    if point == HI_BIN:
        return e >= k
    return e == point


def targets(p: Panel) -> list[Target]:
    """Each started cohort (in cohort order), then all started cohorts together."""
    if p.groups.empty:
        return []
    g = p.groups.sort_values(["cohort_order", "g"])
    out = [Target(key, grp["cohort_label"].iloc[0], list(grp["gid"]))
           for key, grp in g.groupby("cohort", sort=False)]
    if len(out) > 1:
        out.append(Target(ALL_STARTED, ALL_STARTED_LABEL, list(g["gid"])))
    return out


def all_cells(p: Panel) -> Cells:
    """Every (group, e) with its month t and base month inside the data."""
    gids, es = [], []
    base = -1 - p.delta
    for row in p.groups.itertuples():
        b = row.g + base
        if b < p.first or b > p.last:
            continue
        e = np.arange(p.first - row.g, p.last - row.g + 1)
        e = e[e != base]
        gids.append(np.full(len(e), row.gid))
        es.append(e)
    if not gids:
        return Cells(np.zeros(0, int), np.zeros(0, int))
    return Cells(np.concatenate(gids), np.concatenate(es))


def points(k: int, delta: int) -> list:
    """The aggregates of every target: 'effect' then the event-study points."""
    return ["effect"] + event_keys(k, delta)


def membership(cells: Cells, pts: list, k: int) -> np.ndarray:
    """cells × points: which aggregate each cell belongs to (a post cell is in 'effect' and
    in its event-study point)."""
    M = np.zeros((len(cells), len(pts)), bool)
    for i, pt in enumerate(pts):
        M[:, i] = ((cells.e >= 0) & (cells.e < k)) if pt == "effect" else _in_point(
            cells.e, pt, k)
    return M


def group_points(att: np.ndarray, cells: Cells, M: np.ndarray, n_groups: int) -> np.ndarray:
    """Per draw, group and point: the mean of the group's estimable cells in that point
    (B × groups × points; NaN where none). Averaging within a group first makes every
    commune count the same, whatever the number of its months."""
    B = att.shape[0]
    out = np.full((B, n_groups, M.shape[1]), np.nan)
    ok = np.isfinite(att)
    a0 = np.where(ok, att, 0.0)
    for j in np.unique(cells.gid):
        idx = np.flatnonzero(cells.gid == j)
        Mj = M[idx].astype(float)
        s, n = a0[:, idx] @ Mj, ok[:, idx].astype(float) @ Mj
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, j, :] = np.where(n > 0, s / np.where(n > 0, n, 1), np.nan)
    return out


def target_points(gp: np.ndarray, gids: list, sizes: np.ndarray) -> np.ndarray:
    """Average of the target's groups weighted by their communes (B × points)."""
    sub = gp[:, gids, :]
    w = sizes[gids][None, :, None] * np.isfinite(sub)
    tot = w.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, np.nansum(np.where(np.isfinite(sub), sub, 0) * w, 1)
                        / np.where(tot > 0, tot, 1), np.nan)


def group_sizes(p: Panel) -> np.ndarray:
    return p.groups.set_index("gid")["size"].sort_index().to_numpy(float)


def group_influence(p: Panel, cells: Cells, M: np.ndarray, att: np.ndarray) -> dict:
    """Per group, the pieces of the influence function that do not depend on the target:
    each started commune's own contrast per point (N × points, NaN elsewhere) and each
    control's share of the control means (N × points, averaged over the point's cells)."""
    base = -1 - p.delta
    sog = start_of_gid(p)
    ok_cell = np.isfinite(att[0])
    out = {}
    for j in np.unique(cells.gid):
        idx = np.flatnonzero((cells.gid == j) & ok_cell)
        if not len(idx):
            continue
        g = int(sog[j])
        e = cells.e[idx]
        delta = p.Y[:, g + e - p.first] - p.Y[:, [g + base - p.first]]
        obs = ~np.isnan(delta)
        d0 = np.where(obs, delta, 0.0)
        mine = p.group == j
        thr = np.maximum(g + e, g + base) + p.delta
        C = (p.start[:, None] > thr[None, :]) & ~mine[:, None] & obs
        nC = C.sum(0)
        mC = (d0 * C).sum(0) / np.maximum(nC, 1)
        Mj = M[idx].astype(float)
        cnt = Mj.sum(0)
        rows = np.flatnonzero(mine)
        T = obs[rows]
        contrast = np.where(T, d0[rows] - mC[None, :], 0.0) @ Mj
        seen = T.astype(float) @ Mj
        with np.errstate(invalid="ignore", divide="ignore"):
            b = np.where(seen > 0, contrast / np.where(seen > 0, seen, 1), np.nan)
        h = (np.where(C, (d0 - mC[None, :]) / np.maximum(nC, 1)[None, :], 0.0) @ Mj) \
            * np.where(cnt > 0, 1 / np.where(cnt > 0, cnt, 1), 0.0)[None, :]
        out[int(j)] = (rows, b, h)
    return out


def influence(p: Panel, pieces: dict, gp: np.ndarray, gids: list, theta: np.ndarray
              ) -> np.ndarray:
    """Per-commune influence (N × points) of one target's aggregates, communes as the
    sampling units (their start months included): a started commune's term is its own
    contrast minus the estimate, so the spread between groups counts, which it must when
    groups have one or two communes; a control's term is its share of the control means.
    The estimate minus its value is about the sum of these."""
    N, P = len(p.codes), gp.shape[-1]
    Phi = np.zeros((N, P))
    sizes = group_sizes(p)
    present = np.isfinite(gp[0, gids])
    wsum = (sizes[gids][:, None] * present).sum(0)
    for jj, j in enumerate(gids):
        if j not in pieces:
            continue
        rows, b, h = pieces[j]
        with np.errstate(invalid="ignore", divide="ignore"):
            omega = np.where(wsum > 0, sizes[j] * present[jj] / np.where(wsum > 0, wsum, 1), 0)
        members = np.isfinite(b)
        n_obs = np.maximum(members.sum(0), 1)
        Phi[rows] += np.where(members, (b - theta[None, :]) * omega / n_obs, 0.0)
        Phi -= h * omega[None, :]
    return Phi


# --------------------------------------------------------------------------------------------
# ATT(g,t) for one or many assignments
def cell_att(p: Panel, cells: Cells, outcomes: list[np.ndarray], gid_draws: np.ndarray,
             start_of_gid_: np.ndarray) -> list[np.ndarray]:
    """ATT of every cell for every assignment (rows of gid_draws: B × N group ids, −1 =
    not started), for each outcome matrix (N × T). Returns one B × cells array per outcome
    (NaN where a cell has no treated or no control value). The control mask of a month is
    built once and shared by every group compared at that month."""
    B = gid_draws.shape[0]
    out = [np.full((B, len(cells)), np.nan) for _ in outcomes]
    if not len(cells):
        return out
    ft = np.float32 if B > 1 else np.float64      # many draws: single precision suffices
    G = np.where(gid_draws >= 0, start_of_gid_[np.maximum(gid_draws, 0)], np.inf)
    base = -1 - p.delta
    blocks, by_level = {}, {}
    for j in np.unique(cells.gid):
        idx = np.flatnonzero(cells.gid == j)
        g = int(start_of_gid_[j])
        e = cells.e[idx]
        Mt = (gid_draws == j).astype(ft)
        prepared = []
        for y in outcomes:
            delta = y[:, g + e - p.first] - y[:, [g + base - p.first]]
            obs = ~np.isnan(delta)
            d0 = np.where(obs, delta, 0.0).astype(ft)
            of = obs.astype(ft)
            prepared.append([d0, of, Mt @ d0, Mt @ of, np.zeros((B, len(idx))),
                             np.zeros((B, len(idx)))])
        thr = np.maximum(g + e, g + base) + p.delta
        blocks[j] = (idx, prepared)
        for level in np.unique(thr):
            cols = np.flatnonzero(thr == level)
            # the group's own communes pass the lead months' threshold: take them out
            by_level.setdefault(int(level), []).append((j, cols, level < g))
    for level, items in by_level.items():
        Mc = (G > level).astype(ft)
        parts, where = [], []
        for j, cols, own in items:
            for o, block in enumerate(blocks[j][1]):
                parts += [block[0][:, cols], block[1][:, cols]]
                where.append((j, o, cols, own))
        R = Mc @ np.hstack(parts)
        pos = 0
        for j, o, cols, own in where:
            d0, of, sT, nT, sC, nC = blocks[j][1][o]
            w = len(cols)
            sC[:, cols] = R[:, pos:pos + w] - (sT[:, cols] if own else 0.0)
            nC[:, cols] = R[:, pos + w:pos + 2 * w] - (nT[:, cols] if own else 0.0)
            pos += 2 * w
    for idx, prepared in blocks.values():
        for (_d0, _of, sT, nT, sC, nC), res in zip(prepared, out):
            with np.errstate(invalid="ignore", divide="ignore"):
                res[:, idx] = np.where((nT > 0) & (nC > 0.5), sT / nT - sC / nC, np.nan)
    return out


def start_of_gid(p: Panel) -> np.ndarray:
    return p.groups.set_index("gid")["g"].sort_index().to_numpy(float)


def design_facts(p: Panel, cells: Cells, M: np.ndarray, att: np.ndarray, tgt: Target,
                 k: int) -> dict:
    """Communes on each side of the target's effect (each counted once: a commune of a later
    wave that served as a control before its own start is counted among the controls, and
    separately as a later-wave commune), months of data before the start, missing share over
    the k months before and after the start."""
    used = M[:, 0] & np.isfinite(att[0]) & np.isin(cells.gid, tgt.gids)
    base = -1 - p.delta
    sog = start_of_gid(p)
    treated = np.zeros(len(p.codes), bool)
    controls = np.zeros(len(p.codes), bool)
    for j in np.unique(cells.gid[used]):
        e = cells.e[used & (cells.gid == j)]
        g = int(sog[j])
        have_b = ~np.isnan(p.Y[:, g + base - p.first])
        obs = ~np.isnan(p.Y[:, g + e - p.first]) & have_b[:, None]
        treated |= ((p.group == j)[:, None] & obs).any(1)
        thr = np.maximum(g + e, g + base) + p.delta
        controls |= ((p.start[:, None] > thr[None, :]) & (p.group != j)[:, None] & obs).any(1)
    members = np.isin(p.group, tgt.gids)
    months = p.first + np.arange(p.T)
    have = ~np.isnan(p.Y[members])
    g = p.start[members][:, None]
    pre = (have & (months[None, :] < g - p.delta)).sum(1)
    win = (months[None, :] >= g - k) & (months[None, :] <= g + k - 1)
    expected = int(win.sum())
    missing = int((win & ~have).sum())
    return {"n_treated": int(treated.sum()), "n_control": int(controls.sum()),
            "n_control_never": int((controls & ~np.isfinite(p.start)).sum()),
            "n_declared": int(members.sum()),
            "pre_months": float(np.median(pre)) if len(pre) else 0.0,
            "missing_share": missing / expected if expected else 1.0}
