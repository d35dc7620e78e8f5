"""Panels with a known truth, for the checks (tests, Monte Carlo benchmark, cross-checks
against reference packages): communes with their own level, common monthly shocks, AR(1)
noise, staggered starts in quarterly waves and an effect that is constant, differs by wave
or grows with months since start."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .cohorts import assign_cohorts

BASE = 2023 * 12          # month index of the first month


def simulate(n_communes: int = 60, waves: tuple = (6,), months: int = 36,
             first_start: int = 15, wave_gap: int = 3, effect: str = "constant",
             size: float = 0.0, rho: float = 0.5, sigma: float = 1.0, pre_trend: float = 0.0,
             missing: float = 0.0, pilot: bool = False, seed: int = 0):
    """(panel: commune_code, month, value; cohorts: assign_cohorts(); truth: function
    (wave number, months since start) -> effect). waves: started communes per wave; the first
    wave is the pilot when pilot=True; the rest of the communes never start."""
    rng = np.random.default_rng(seed)
    n_started = sum(waves)
    assert n_started < n_communes
    codes = [f"{i:05d}" for i in range(n_communes)]
    order = rng.permutation(n_communes)
    starts = np.full(n_communes, -1)
    wave_of = np.full(n_communes, -1)
    pos = 0
    for w, n in enumerate(waves):
        who = order[pos:pos + n]
        pos += n
        starts[who] = first_start + w * wave_gap + rng.integers(0, wave_gap, n)
        wave_of[who] = w

    def truth(w, e):
        e = np.asarray(e, float)
        if effect == "constant":
            return np.where(e >= 0, size, 0.0)
        if effect == "cohort":
            return np.where(e >= 0, size * (1 + 0.5 * w), 0.0)
        if effect == "growing":
            return np.where(e >= 0, size * (1 + e) / 6, 0.0)
        raise ValueError(effect)

    alpha = rng.normal(10, 2, n_communes)
    lam = rng.normal(0, 1, months).cumsum() * 0.3
    eps = np.zeros((n_communes, months))
    eps[:, 0] = rng.normal(0, sigma / np.sqrt(1 - rho ** 2), n_communes)
    for t in range(1, months):
        eps[:, t] = rho * eps[:, t - 1] + rng.normal(0, sigma, n_communes)
    t_idx = np.arange(months)[None, :]
    e = t_idx - starts[:, None]
    started = starts[:, None] >= 0
    tau = np.where(started, truth(np.maximum(wave_of, 0)[:, None], e), 0.0)
    trend = np.where(started & (e < 0), pre_trend * e, 0.0)
    Y = alpha[:, None] + lam[None, :] + eps + tau + trend
    keep = rng.random(Y.shape) >= missing
    ii, tt = np.nonzero(keep)
    panel = pd.DataFrame({"commune_code": np.asarray(codes)[ii], "month": BASE + tt,
                          "value": Y[ii, tt]})
    start_dates = [pd.NaT if s < 0 else pd.Timestamp(year=(BASE + s) // 12,
                                                      month=(BASE + s) % 12 + 1, day=10)
                   for s in starts]
    phase = np.where(starts < 0, "none",
                     np.where((wave_of == 0) & pilot, "pilot", "rollout"))
    cohorts = assign_cohorts(pd.DataFrame({
        "commune_code": codes, "commune_name": [f"Xã {c}" for c in codes], "phase": phase,
        "started_on": start_dates, "households": rng.integers(800, 3000, n_communes),
        "cells": 0, "members": 0, "households_covered": 0, "households_covered_raw": 0}))
    return panel, cohorts, truth


def true_effect(cohorts: pd.DataFrame, truth, window: int, months: int) -> dict:
    """The estimand's true value per wave and overall: per commune the average of the true
    effect over its first `window` months that the data holds, averaged over communes."""
    c = cohorts[cohorts["start_month"].notna()].copy()
    s = c["start_month"].astype(int).to_numpy() - BASE
    waves = pd.Categorical(c["cohort"], categories=sorted(c["cohort"].unique())).codes
    per = []
    for si, w in zip(s, waves):
        e = np.arange(0, min(window, months - si))
        per.append(float(np.mean(truth(w, e))) if len(e) else np.nan)
    c["truth"] = per
    out = c.groupby("cohort")["truth"].mean().to_dict()
    out["all_started"] = float(np.nanmean(per))
    return out
