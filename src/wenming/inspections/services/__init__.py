"""Writes of the inspection side, by concern:

* :mod:`.rounds` — plan a round, draw its sample, assign inspectors or 督查组, open, close, publish;
* :mod:`.inspect` — an inspector's draft and the idempotent submission that scores the items;
* :mod:`.findings` — a problem for each failed item, and the 复查 of problems raised earlier;
* :mod:`.config` — the rules the city office sets for every round (测评设置).

Callers import from here (``from wenming.inspections import services``); each function runs in one
transaction, checks permission through inspections.policy and writes an audit event.
"""

from ..errors import InspectionError
from .config import inspection_settings_save
from .findings import condition_marks, raise_problems, recheck_targets, unmet_conditions, veto_explanation
from .inspect import (
    SUBMIT_KEY_MAX,
    Answer,
    answers_refused,
    check_answers,
    inspection_save_draft,
    inspection_submit,
    items_for,
    submitted_with,
)
from .rounds import (
    LATEST_SCORE_KINDS,
    MAX_SAMPLE,
    RECHECK_SAMPLE_STATES,
    candidate_points,
    draw_sample,
    eligible_groups,
    eligible_inspectors,
    group_inspectors,
    round_assign,
    round_close,
    round_create,
    round_open,
    round_publish,
    round_reassign,
    round_sample,
    round_set_min_sample,
    stratified_sample,
)

__all__ = [
    "LATEST_SCORE_KINDS", "MAX_SAMPLE", "RECHECK_SAMPLE_STATES", "SUBMIT_KEY_MAX", "Answer", "InspectionError",
    "answers_refused", "candidate_points", "check_answers",
    "condition_marks", "draw_sample", "eligible_groups", "eligible_inspectors", "group_inspectors",
    "inspection_save_draft", "inspection_submit", "items_for", "raise_problems", "recheck_targets",
    "round_assign", "round_close", "round_create", "round_open", "round_publish", "round_reassign", "round_sample",
    "stratified_sample", "submitted_with", "unmet_conditions", "veto_explanation",
    "inspection_settings_save", "round_set_min_sample",
]
