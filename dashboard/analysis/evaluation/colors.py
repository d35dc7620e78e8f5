"""Colours of cohorts and labels (plain data for the charts)."""
from __future__ import annotations

from .cohorts import NONE_LABEL, PHASE_LABELS, PILOT_LABEL

_WAVE_COLORS = ["#1f4e79", "#2e75b6", "#5b9bd5", "#9dc3e6", "#548235", "#70ad47", "#a9d18e",
                "#7030a0", "#b083d0", "#c55a11", "#f4b183", "#8c8c8c"]
EVIDENCE_COLORS = {"strong": "#2e7d32", "moderate": "#e8a33d", "weak": "#b0762a",
                   "none": "#6d6d6d", "insufficient": "#9e9e9e"}
BADGE_COLORS = {"strong": "green", "moderate": "orange", "weak": "orange", "none": "gray",
                "insufficient": "gray", "good": "green", "fair": "orange", "poor": "red"}


def cohort_colors(labels: list[str]) -> dict[str, str]:
    """Pilot red, rollout orange (all waves together) or one colour per wave, not started grey."""
    out, i = {}, 0
    for lab in labels:
        if lab == PILOT_LABEL:
            out[lab] = "#B3261E"
        elif lab == NONE_LABEL:
            out[lab] = "#9e9e9e"
        elif lab == PHASE_LABELS["rollout"]:
            out[lab] = "#E8A33D"
        elif lab not in out:
            out[lab] = _WAVE_COLORS[i % len(_WAVE_COLORS)]
            i += 1
    return out
