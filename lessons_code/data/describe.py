"""Tables that describe the datasets: detector model, generation, settings, fields.

The data pages of the book and anyone who wants to know what a file holds read
these tables instead of copying numbers by hand: the detector-model table reads
the constants of :mod:`lessons_code.data.detector`, the others read the manifest
written at generation time.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from lessons_code.data import detector, loading, storage
from lessons_code.data.pythia_setup import COMMON_SETTINGS
from lessons_code.data.samples import get_sample

log = logging.getLogger(__name__)

_TRACKER = "CMS tracker, arXiv:1405.6569"
_PF = "CMS particle flow, arXiv:1706.04965"
_BTAG = "CMS heavy-flavour tagging, arXiv:1712.07158"

#: (component, quantity, constant name in :mod:`detector`, unit, source).
DETECTOR_ROWS: tuple[tuple[str, str, str, str, str], ...] = (
    ("tracker", "acceptance |eta| <", "TRACKER_ETA_MAX", "", _TRACKER),
    ("tracker", "track pT threshold", "TRACK_PT_MIN_GEV", "GeV", _TRACKER),
    ("tracker", "efficiency, |eta| < 1.5", "TRACK_EFF_BARREL", "", _TRACKER),
    ("tracker", "efficiency, 1.5 < |eta| < 2.5", "TRACK_EFF_ENDCAP", "", _TRACKER),
    ("tracker", "sigma(pT)/pT, constant", "TRACK_PT_RES_CONST", "", _TRACKER),
    (
        "tracker",
        "sigma(pT)/pT, slope",
        "TRACK_PT_RES_SLOPE_PER_GEV",
        "1/GeV",
        _TRACKER,
    ),
    ("tracker", "sigma(d0), high-pT limit", "D0_RES_CONST_MM", "mm", _TRACKER),
    (
        "tracker",
        "sigma(d0), scattering term (x 1/(pT sqrt(sin theta)))",
        "D0_RES_MS_MM_GEV",
        "mm GeV",
        _TRACKER,
    ),
    ("tracker", "sigma(z0), high-pT limit", "Z0_RES_CONST_MM", "mm", _TRACKER),
    (
        "tracker",
        "sigma(z0), scattering term (x 1/(pT sin(theta)^1.5))",
        "Z0_RES_MS_MM_GEV",
        "mm GeV",
        _TRACKER,
    ),
    ("tagging tracks", "|d0| <", "TAG_TRACK_D0_MAX_MM", "mm", _BTAG),
    (
        "tagging tracks",
        "production radius <",
        "TAG_TRACK_RADIUS_MAX_MM",
        "mm",
        _BTAG,
    ),
    ("calorimeters", "acceptance |eta| <", "CALO_ETA_MAX", "", _PF),
    ("ECAL", "stochastic term", "ECAL_STOCHASTIC", "sqrt(GeV)", _PF),
    ("ECAL", "noise term", "ECAL_NOISE_GEV", "GeV", _PF),
    ("ECAL", "constant term", "ECAL_CONSTANT", "", _PF),
    ("ECAL + HCAL (hadrons)", "stochastic term", "HCAL_STOCHASTIC", "sqrt(GeV)", _PF),
    ("ECAL + HCAL (hadrons)", "constant term", "HCAL_CONSTANT", "", _PF),
)


def _manifest(data_dir: Path | None) -> dict[str, dict]:
    return storage.read_manifest(loading.DATA_DIR if data_dir is None else data_dir)


def detector_table() -> pd.DataFrame:
    """The numbers of the detector model with their units and sources.

    Returns
    -------
    pandas.DataFrame
        Columns ``component``, ``quantity``, ``value``, ``unit``, ``source``; the
        values are read from :mod:`lessons_code.data.detector`.

    Examples
    --------
    >>> float(detector_table().set_index("quantity").loc["track pT threshold",
    ...                                                  "value"])
    0.5
    """
    rows = [
        {
            "component": component,
            "quantity": quantity,
            "value": getattr(detector, constant),
            "unit": unit,
            "source": source,
        }
        for component, quantity, constant, unit, source in DETECTOR_ROWS
    ]
    return pd.DataFrame(rows)


def files_table(data_dir: Path | None = None) -> pd.DataFrame:
    """One row per dataset of the manifest: file, size, entries, seed, versions.

    Parameters
    ----------
    data_dir
        Folder holding ``manifest.json`` (default: the repository's ``data/``).

    Returns
    -------
    pandas.DataFrame
        Indexed by dataset name; ``size_MB`` in megabytes (10^6 bytes), the
        versions of Pythia and FastJet that made the file, the first 12
        characters of its sha256.

    Examples
    --------
    >>> files_table(Path("/nonexistent")).empty
    True
    """
    manifest = _manifest(data_dir)
    rows = {
        name: {
            "file": entry["file"],
            "one entry": entry.get("entry", ""),
            "entries": entry["entries"],
            "size_MB": round(entry["size_bytes"] / 1e6, 2),
            "seed": entry.get("seed"),
            "pythia8mc": entry.get("generator", {}).get("pythia8mc", ""),
            "fastjet": entry.get("generator", {}).get("fastjet", ""),
            "sha256 (first 12)": entry["sha256"][:12],
            "created (UTC)": entry.get("created_utc", ""),
        }
        for name, entry in manifest.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def generation_table(data_dir: Path | None = None) -> pd.DataFrame:
    """Generation performance per process, as measured when the files were made.

    Parameters
    ----------
    data_dir
        Folder holding ``manifest.json``.

    Returns
    -------
    pandas.DataFrame
        One row per (dataset, process): entries kept, events generated, CPU time
        [s], events per second per core, and the share of CPU time spent outside
        Pythia's event generation (particle tables, detector model, clustering,
        features), in percent.

    Examples
    --------
    >>> generation_table(Path("/nonexistent")).empty
    True
    """
    manifest = _manifest(data_dir)
    rows = []
    for name, entry in manifest.items():
        for process, stats in entry.get("processes", {}).items():
            rows.append(
                {
                    "dataset": name,
                    "process": process,
                    "entries": stats["entries"],
                    "events generated": stats["events_generated"],
                    "CPU time [s]": stats["cpu_time_s"],
                    "events/s/core": stats["events_per_s_per_core"],
                    "outside Pythia [%]": round(
                        100 * stats["outside_pythia_fraction"], 1
                    ),
                }
            )
    return pd.DataFrame(rows)


def settings_table(name: str, data_dir: Path | None = None) -> pd.DataFrame:
    """Per process of a dataset: its own Pythia settings, cross section, counts.

    The settings common to every process are
    :data:`lessons_code.data.pythia_setup.COMMON_SETTINGS` and are left out.

    Parameters
    ----------
    name
        Dataset name.
    data_dir
        Folder holding ``manifest.json``.

    Returns
    -------
    pandas.DataFrame
        Indexed by process: ``settings`` (joined with "; "), ``BR folded in``,
        ``sigma [pb]`` and its error (Pythia's estimate for the generated phase
        space, before the forced decays), entries and events generated.

    Raises
    ------
    KeyError
        If the manifest has no entry for ``name``.

    Examples
    --------
    >>> # settings_table("boosted_jets")
    """
    entry = _manifest(data_dir)[name]
    rows = {}
    for process, stats in entry["processes"].items():
        own = [s for s in stats["settings"] if s not in COMMON_SETTINGS]
        rows[process] = {
            "settings": "; ".join(own),
            "BR folded in": round(stats["branching_fraction"], 4),
            "sigma [pb]": float(f"{stats['sigma_pb']:.4g}"),
            "sigma error [pb]": float(f"{stats['sigma_err_pb']:.2g}"),
            "entries": stats["entries"],
            "events generated": stats["events_generated"],
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def fields_table(name: str) -> pd.DataFrame:
    """The stored fields of a dataset with units and stored precision.

    Parameters
    ----------
    name
        Dataset name.

    Returns
    -------
    pandas.DataFrame
        Columns ``field`` (``group.name`` for jagged fields), ``unit``,
        ``stored`` and ``description``.

    Examples
    --------
    >>> "constituents.pt" in set(fields_table("boosted_jets")["field"])
    True
    """
    rows = [
        {
            "field": f"{f.group}.{f.name}" if f.group else f.name,
            "unit": f.unit,
            "stored": f.precision,
            "description": f.description,
        }
        for f in get_sample(name).all_fields()
    ]
    return pd.DataFrame(rows)


def machine_table(data_dir: Path | None = None) -> pd.DataFrame:
    """Where each dataset of the manifest was generated.

    Parameters
    ----------
    data_dir
        Folder holding ``manifest.json``.

    Returns
    -------
    pandas.DataFrame
        Indexed by dataset: processor, logical cores, worker processes, the
        one-minute load average when the generation ended, and its wall time [s]
        (see :func:`lessons_code.data.generate.machine_description`).

    Examples
    --------
    >>> machine_table(Path("/nonexistent")).empty
    True
    """
    rows = {
        name: {
            **entry.get("machine", {}),
            "wall time [s]": entry.get("wall_time_s"),
        }
        for name, entry in _manifest(data_dir).items()
    }
    return pd.DataFrame.from_dict(rows, orient="index")
