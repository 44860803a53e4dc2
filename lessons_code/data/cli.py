"""Argument parsing and the three commands ``generate``, ``verify`` and ``info``.

Results go to stdout (``info --json`` prints the manifest entry as JSON), progress
and log messages to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from lessons_code.data import storage
from lessons_code.data.loading import DATA_DIR, verify
from lessons_code.data.samples import available, get_sample

log = logging.getLogger(__name__)


def _out(text: str) -> None:
    """Write one line of command output to stdout (logging goes to stderr)."""
    sys.stdout.write(f"{text}\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lessons_code.data",
        description="Generate, verify and describe the simulated datasets.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="generate a dataset into a ROOT file")
    gen.add_argument("name", help=f"dataset name, one of: {', '.join(available())}")
    gen.add_argument(
        "--events",
        type=int,
        default=None,
        help="entries to keep (jets or selected events); "
        "default: the size of the shipped file",
    )
    gen.add_argument("--seed", type=int, default=1, help="base seed (default 1)")
    gen.add_argument(
        "--workers", type=int, default=1, help="local worker processes (default 1)"
    )
    gen.add_argument(
        "--scheduler",
        default=None,
        help="dask.distributed scheduler address, e.g. tcp://host:8786; "
        "replaces the local pool",
    )
    gen.add_argument(
        "--out",
        type=Path,
        default=DATA_DIR / "dev",
        help="output folder (default data/dev); its manifest.json is merged",
    )
    ver = sub.add_parser("verify", help="check every file against the manifest")
    ver.add_argument(
        "--data-dir",
        type=Path,
        default=DATA_DIR,
        help="folder with the files and manifest.json (default data/)",
    )
    info = sub.add_parser("info", help="counts, fields with units, settings")
    info.add_argument("name", help="dataset name")
    info.add_argument(
        "--data-dir",
        type=Path,
        default=DATA_DIR,
        help="folder with manifest.json (default data/)",
    )
    info.add_argument(
        "--json", action="store_true", help="print the manifest entry as JSON"
    )
    return parser


def _generate(args: argparse.Namespace) -> int:
    from lessons_code.data.generate import write_sample

    sample = get_sample(args.name)
    n_events = args.events or sample.default_entries
    path, entry = write_sample(
        args.name,
        n_events,
        args.seed,
        args.out,
        args.workers,
        args.scheduler,
        progress=True,
    )
    n_gen = sum(p["events_generated"] for p in entry["processes"].values())
    wall = entry["wall_time_s"]
    _out(
        f"{args.name}: {entry['entries']} entries, {n_gen} events generated in "
        f"{wall:.1f} s ({n_gen / max(wall, 1e-9):.1f} events/s), "
        f"{entry['size_bytes'] / 1e6:.2f} MB -> {path}"
    )
    for name, p in entry["processes"].items():
        _out(
            f"  {name:12s} {p['entries']:7d} entries {p['events_generated']:8d} events "
            f"{p['events_per_s_per_core']:8.1f} events/s/core, "
            f"{100 * p['outside_pythia_fraction']:.0f}% outside Pythia"
        )
    return 0


def _verify(args: argparse.Namespace) -> int:
    status = verify(args.data_dir)
    if not status:
        _out(f"no datasets listed in {args.data_dir / storage.MANIFEST_NAME}")
        return 1
    for name, state in status.items():
        _out(f"{name:16s} {state}")
    return 0 if all(s == "ok" for s in status.values()) else 1


def _info(args: argparse.Namespace) -> int:
    sample = get_sample(args.name)
    entry = storage.read_manifest(args.data_dir).get(args.name)
    if args.json:
        _out(json.dumps(entry, indent=1))
        return 0
    _out(f"{sample.name}: {sample.description}")
    _out(f"one entry = one {sample.entry}")
    if entry:
        _out(
            f"file {entry['file']}: {entry['entries']} entries, "
            f"{entry['size_bytes'] / 1e6:.2f} MB, seed {entry['seed']}"
        )
    _out("processes:")
    for p in sample.processes:
        _out(f"  {p.name}: {p.description} (BR folded in: {p.branching_fraction:.4g})")
        for line in p.settings:
            _out(f"      {line}")
        if entry and p.name in entry.get("processes", {}):
            s = entry["processes"][p.name]
            _out(
                f"      sigma = {s['sigma_pb']:.4g} pb, {s['entries']} entries from "
                f"{s['events_generated']} events"
            )
    _out("fields:")
    for f in sample.all_fields():
        name = f"{f.group}.{f.name}" if f.group else f.name
        unit = f"[{f.unit}]" if f.unit else ""
        _out(f"  {name:28s} {unit:7s} {f.precision:24s} {f.description}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 1 when ``verify`` finds a mismatch.

    Examples
    --------
    >>> main(["info", "boosted_jets"])  # doctest: +SKIP
    """
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    args = _parser().parse_args(argv)
    handler = {"generate": _generate, "verify": _verify, "info": _info}[args.command]
    return handler(args)
