"""Labels that are not a dataset column's: one place, derived from the contract where it has
them (the phase names are the contract's first label of each phase)."""
from __future__ import annotations

from dashboard import contract

# a commune's phase at a date (section 4 of the metric definitions): pilot, rollout or none
PHASE_NAMES = {code: labels[0] for code, labels in contract.PHASES.items()}
PHASE_LABELS = {**PHASE_NAMES, "none": "Chưa có tổ"}

# a dataset as a word in lists and counts ("Lô 3 · Tổ dân vận")
DATASET_LABELS = {"units": "Đơn vị", "cells": "Tổ dân vận", "models": "Mô hình",
                  "indicators": "Chỉ số", "boundaries": "Ranh giới"}
