"""Common Pythia 8 settings and a factory for seeded, quiet generator instances.

All samples share the beam setup (pp at 13.6 TeV), keep multi-parton interactions
and hadronisation on, and differ only in their hard process, phase-space cuts and
forced decays (declared per process in :mod:`lessons_code.data.samples`).

The generator is an optional dependency: reading the course needs none of it.
:func:`require_generator` raises an error that says how to install it.
"""

from __future__ import annotations

import logging
from importlib import metadata
from types import ModuleType

log = logging.getLogger(__name__)

#: Centre-of-mass energy [GeV] (LHC Run 3).
SQRT_S_GEV = 13_600.0

#: Settings every sample uses, in order. Pythia 8.3 manual, arXiv:2203.11601.
COMMON_SETTINGS: tuple[str, ...] = (
    "Beams:idA = 2212",
    "Beams:idB = 2212",
    f"Beams:eCM = {SQRT_S_GEV:.1f}",
    "PartonLevel:MPI = on",
    "HadronLevel:all = on",
    "Print:quiet = on",
    "Next:numberCount = 0",
    "Random:setSeed = on",
)

_INSTALL_HINT = (
    "Generating data needs the optional generator packages: install them with "
    "`pip install -e '.[generate]'` (pythia8mc==8.317.2, fastjet, dask[distributed]) "
    "or `pip install -r requirements-dev.txt`. Reading the shipped data needs none "
    "of them."
)

#: Largest seed Pythia accepts (Random:seed is an int up to 900 000 000).
MAX_SEED = 900_000_000


def require_generator() -> tuple[ModuleType, ModuleType]:
    """Import Pythia and FastJet, or explain how to install them.

    Returns
    -------
    pythia8mc, fastjet
        The imported modules.

    Raises
    ------
    ImportError
        If either is missing; the message names the install command.

    Examples
    --------
    >>> pythia8mc, fastjet = require_generator()
    """
    try:
        import fastjet
        import pythia8mc
    except ImportError as err:
        msg = f"{err}. {_INSTALL_HINT}"
        raise ImportError(msg) from err
    return pythia8mc, fastjet


def generator_versions() -> dict[str, str]:
    """Installed versions of the generator packages (empty strings if absent).

    Returns
    -------
    dict
        Package name to version string.

    Examples
    --------
    >>> sorted(generator_versions())
    ['awkward', 'fastjet', 'pythia8mc', 'uproot']
    """
    out = {}
    for name in ("pythia8mc", "fastjet", "awkward", "uproot"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = ""
    return out


def make_pythia(
    settings: tuple[str, ...] | list[str], seed: int, user_hooks: object = None
) -> object:
    """Create and initialise a Pythia instance with the common settings.

    Parameters
    ----------
    settings
        Process-specific ``readString`` lines, applied after
        :data:`COMMON_SETTINGS`.
    seed
        Random seed, 1 <= seed <= :data:`MAX_SEED`.
    user_hooks
        Optional ``pythia8mc.UserHooks`` instance attached before initialisation
        (e.g. a generator-level filter); the caller keeps a reference to it.

    Returns
    -------
    pythia8mc.Pythia
        An initialised generator.

    Raises
    ------
    ValueError
        If the seed is out of range or Pythia rejects a setting or fails to
        initialise.
    ImportError
        If the generator is not installed.

    Examples
    --------
    >>> pythia = make_pythia(["SoftQCD:inelastic = on"], seed=1)
    """
    pythia8mc, _ = require_generator()
    if not 1 <= seed <= MAX_SEED:
        msg = f"Pythia seed {seed} is out of range: use 1 <= seed <= {MAX_SEED}."
        raise ValueError(msg)
    pythia = pythia8mc.Pythia("", False)
    for line in (*COMMON_SETTINGS, f"Random:seed = {seed}", *settings):
        if not pythia.readString(line):
            msg = f"Pythia rejected the setting {line!r}: check its spelling."
            raise ValueError(msg)
    if user_hooks is not None:
        pythia.setUserHooksPtr(user_hooks)
    if not pythia.init():
        msg = f"Pythia failed to initialise with settings {list(settings)}."
        raise ValueError(msg)
    return pythia


def all_settings(settings: tuple[str, ...] | list[str]) -> list[str]:
    """Every setting a process runs with (common ones first), seed excluded.

    Parameters
    ----------
    settings
        Process-specific settings.

    Returns
    -------
    list of str
        The lines passed to Pythia.

    Examples
    --------
    >>> all_settings(["Top:gg2ttbar = on"])[-1]
    'Top:gg2ttbar = on'
    """
    return [*COMMON_SETTINGS, *settings]
