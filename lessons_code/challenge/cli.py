"""Command line of the challenge kit.

Usage::

    python -m lessons_code.challenge make --seed SECRET --out DIR [--n-train N]
        [--n-eval N] [--public-fraction F] [--train-from shipped|generate]
        [--workers N]
    python -m lessons_code.challenge validate SUBMISSION.csv --features EVAL.csv
    python -m lessons_code.challenge score --truth TRUTH.csv --submissions DIR
        --out LEADERBOARD_DIR

Exit codes: 0 success (``validate``: the submission is valid; ``score``: the
leaderboards were written, invalid submissions included with their reason),
1 invalid submission (``validate`` only), 2 usage or I/O error (a bad option, a
missing or unreadable file or folder).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from lessons_code.challenge.features import read_table
from lessons_code.challenge.scoring import write_leaderboards
from lessons_code.challenge.validate import MAX_BYTES, validate_submission

log = logging.getLogger(__name__)

#: Exit codes.
OK, INVALID, USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lessons_code.challenge",
        description="Data challenge kit: make the data, validate and score "
        "submissions. Exit codes: 0 success, 1 invalid submission, 2 usage or "
        "I/O error.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("make", help="instructor: make the challenge files")
    make.add_argument("--seed", required=True, help="the secret (any string)")
    make.add_argument("--out", required=True, type=Path, help="output folder")
    make.add_argument(
        "--n-train",
        type=int,
        default=0,
        help="training events (default 0: all tt-bar H events of the shipped "
        "train split)",
    )
    make.add_argument(
        "--n-eval",
        type=int,
        default=5_000,
        help="evaluation events, generated (default 5000)",
    )
    make.add_argument(
        "--public-fraction",
        type=float,
        default=0.3,
        help="public leaderboard share (default 0.3)",
    )
    make.add_argument(
        "--train-from",
        choices=("shipped", "generate"),
        default="shipped",
        help="training set source",
    )
    make.add_argument("--workers", type=int, default=1, help="generation processes")
    make.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder of the shipped files (default: data/)",
    )
    val = sub.add_parser("validate", help="participant: check a submission")
    val.add_argument("submission", type=Path)
    val.add_argument(
        "--features",
        required=True,
        type=Path,
        help="the evaluation features CSV of the challenge",
    )
    val.add_argument(
        "--max-bytes",
        type=int,
        default=MAX_BYTES,
        help=f"size limit in bytes (default {MAX_BYTES})",
    )
    score = sub.add_parser("score", help="instructor: score every submission")
    score.add_argument("--truth", required=True, type=Path)
    score.add_argument("--submissions", required=True, type=Path)
    score.add_argument("--out", required=True, type=Path)
    score.add_argument("--max-bytes", type=int, default=MAX_BYTES)
    return parser  # fmt: skip


def _validate(args: argparse.Namespace) -> int:
    try:
        ids, _ = read_table(args.features)
    except (OSError, ValueError) as err:
        sys.stderr.write(f"error: cannot read the evaluation features: {err}\n")
        return USAGE
    try:
        result = validate_submission(args.submission, ids, args.max_bytes)
    except OSError as err:
        sys.stderr.write(f"error: cannot read the submission: {err}\n")
        return USAGE
    sys.stdout.write(result.report() + "\n")
    return OK if result.valid else INVALID


def _score(args: argparse.Namespace) -> int:
    try:
        boards = write_leaderboards(
            args.truth, args.submissions, args.out, args.max_bytes
        )
    except (OSError, ValueError) as err:
        sys.stderr.write(f"error: {err}\n")
        return USAGE
    for subset, rows in boards.items():
        ok = sum(r["status"] == "ok" for r in rows)
        sys.stdout.write(f"{subset}: {ok} scored, {len(rows) - ok} invalid\n")
    sys.stdout.write(f"leaderboards written to {args.out}\n")
    return OK


def _make(args: argparse.Namespace) -> int:
    from lessons_code.challenge.make import make_challenge
    from lessons_code.data.loading import ChecksumError

    try:
        summary = make_challenge(
            args.seed, args.out, args.n_train or None, args.n_eval,
            args.public_fraction, args.train_from, args.workers, args.data_dir,
        )  # fmt: skip
    except (OSError, ValueError, ImportError, ChecksumError) as err:
        sys.stderr.write(f"error: {err}\n")
        return USAGE
    sys.stdout.write(
        f"{summary['n_train']} training and {summary['n_eval']} evaluation events "
        f"({summary['n_public']} public) in {summary['total_time_s']} s; "
        f"public files in {args.out / 'public'}, keep {args.out / 'private'} "
        "secret\n"
    )
    return OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (see the module docstring)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    command = {"make": _make, "validate": _validate, "score": _score}
    return command[args.command](args)
