"""Pilot vs rollout evaluation ("Thí điểm và nhân rộng").

Modules by job: dates (months), cohorts (pilot / waves / not started), coverage (figures after
6/12/24 months, ramp-up, Kaplan–Meier cell survival), estimation (Callaway–Sant'Anna
ATT(g,t) and its aggregations), inference (randomisation inference, wild cluster bootstrap,
Holm, joint lead test), labels (design quality, evidence of an effect), effects (all of it for
one indicator), findings (loading, findings and sentences), colors, report (the `evaluate`
command's rows). No Streamlit, no SQL text: the figures come from the named queries
eval_commune_starts, eval_coverage_history, eval_cell_survival, eval_indicators and
eval_indicator_panel. The web pages read date-free rows once per data version
(eval_coverage_history at the month end of today, eval_cells, eval_indicator_periods,
eval_indicator_series) and take a date's rows with history_at, cells_at, indicators_at and
panel_at.
"""
from .cohorts import (
                      ALL_STARTED,
                      ALL_STARTED_LABEL,
                      NONE,
                      NONE_LABEL,
                      PHASE_LABELS,
                      PILOT,
                      PILOT_LABEL,
                      ROMAN,
                      assign_cohorts,
                      cohort_labels,
                      cohort_table,
                      phase_cohorts,
                      wave_of,
)
from .colors import BADGE_COLORS, EVIDENCE_COLORS, cohort_colors
from .coverage import (
                      HORIZONS,
                      cell_survival,
                      cells_at,
                      figures_at_horizons,
                      history_at,
                      kaplan_meier,
                      ramp_up,
                      ratio_interval,
                      survival_curves,
                      with_months_since,
)
from .dates import add_months, month_index, month_indices, month_label, months_since, to_date
from .effects import Effects, Estimate, effects
from .estimation import build_panel, panel_at, per_households, prepare_panel
from .findings import (
                      LABELS,
                      QUERY_NAMES,
                      SCALES,
                      TEXTS,
                      EvalData,
                      ci_text,
                      compute_overview,
                      default_indicator,
                      estimand,
                      estimate_sentence,
                      estimates_table,
                      findings,
                      indicators_at,
                      key_findings,
                      load,
                      load_panel,
                      method_text,
                      overview_base,
                      overview_view,
                      plain,
                      scaled_panel,
                      signed,
                      slim,
)
from .labels import DESIGN_LABELS, EVIDENCE_LABELS, agreement, design_quality, evidence

__all__ = [
    "ALL_STARTED", "ALL_STARTED_LABEL", "NONE", "NONE_LABEL", "PHASE_LABELS", "PILOT",
    "PILOT_LABEL", "ROMAN", "assign_cohorts", "cohort_labels", "cohort_table",
    "phase_cohorts", "wave_of", "BADGE_COLORS", "EVIDENCE_COLORS", "cohort_colors",
    "HORIZONS", "cell_survival", "cells_at", "history_at", "indicators_at", "panel_at", "figures_at_horizons", "kaplan_meier", "ramp_up",
    "ratio_interval", "survival_curves", "with_months_since", "add_months", "month_index",
    "month_indices", "month_label", "months_since", "to_date", "Effects", "Estimate",
    "effects", "build_panel", "per_households", "prepare_panel", "LABELS", "QUERY_NAMES", "TEXTS",
    "SCALES", "EvalData", "ci_text", "compute_overview",
    "overview_base", "overview_view", "slim", "plain", "signed", "default_indicator", "estimand", "estimate_sentence",
    "estimates_table", "findings", "key_findings", "load", "load_panel", "method_text",
    "scaled_panel", "DESIGN_LABELS", "EVIDENCE_LABELS", "agreement", "design_quality",
    "evidence",
]
