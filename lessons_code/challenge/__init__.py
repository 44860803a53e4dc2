"""Data challenge kit: regress the Higgs boson pT and rapidity in tt-bar H events.

Modules
-------
features
    The feature table (columns and units) and its CSV files.
make
    ``make``: training set, blind evaluation set, private truth.
validate
    Strict reading and validation of a submission (data only, size limit).
scoring
    The score, the public and private leaderboards (CSV, Markdown, HTML).
cli
    ``python -m lessons_code.challenge make|validate|score``.
"""

from lessons_code.challenge.features import (
    FEATURE_COLUMNS,
    TARGETS,
    flatten,
    practice_dir,
    read_table,
    tth_only,
    write_table,
)
from lessons_code.challenge.scoring import score_arrays, write_leaderboards
from lessons_code.challenge.validate import MAX_BYTES, validate_submission

__all__ = [
    "FEATURE_COLUMNS",
    "MAX_BYTES",
    "TARGETS",
    "flatten",
    "practice_dir",
    "read_table",
    "score_arrays",
    "tth_only",
    "validate_submission",
    "write_leaderboards",
    "write_table",
]
