"""Registry of the simulated samples: what each one holds and how a chunk is made.

Every dataset of the course is a :class:`Sample`. A sample module in this package
declares one module-level object ``SAMPLE`` and nothing else is needed: the registry
finds it by scanning the package, and generation, storage, loading, the command line
and the data pages all read the declaration.

How to add a sample
-------------------
1. Create ``lessons_code/data/samples/NAME.py`` (``NAME`` is the canonical dataset
   name, used for the file ``data/NAME.root`` too).
2. Declare the processes: for each, the Pythia settings beyond the common ones of
   :mod:`lessons_code.data.pythia_setup` (hard process, phase-space cuts, forced
   decays) and ``branching_fraction``, the product of the branching fractions that
   the forced decays select. It is folded into the weights.
3. Declare the fields: name, unit, stored dtype, significant bits kept and a
   description. A field with ``group="tracks"`` is one entry of a jagged list; all
   fields of one group share one length per entry.
4. Write the chunk function ``chunk(process, n_keep, seed) -> ChunkResult``. It
   builds its own Pythia (:func:`~lessons_code.data.pythia_setup.make_pythia`),
   generates until it has ``n_keep`` entries (jets or selected events) and returns
   them as flat numpy arrays (scalars) or awkward arrays (groups) keyed by the
   field names, plus the generator bookkeeping. It must be a module-level function
   (it is sent to worker processes) and deterministic given ``seed``: draw every
   random number from ``numpy.random.default_rng(seed)`` or from Pythia.
5. Assign ``SAMPLE = Sample(...)``. ``python -m lessons_code.data info NAME`` now
   lists it, and ``python -m lessons_code.data generate NAME ...`` writes it.

The infrastructure adds two fields to every sample: ``process`` (index into
``Sample.processes``) and ``weight_pb`` (cross section per stored entry, in pb, so
that the sum of ``weight_pb`` over a process estimates sigma x BR x efficiency).

Examples
--------
>>> from lessons_code.data.samples import available, get_sample
>>> "boosted_jets" in available()
True
>>> get_sample("boosted_jets").entry
'jet'
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Field:
    """One stored quantity of a sample.

    Attributes
    ----------
    name
        Field name as returned by :func:`lessons_code.data.load` (inside its group
        for jagged fields).
    unit
        Unit string (``"GeV"``, ``"mm"``, ``""`` for dimensionless).
    dtype
        Stored numpy dtype (``"float32"``, ``"int8"``, ...).
    description
        What the field is, one sentence.
    group
        Name of the jagged collection (``"constituents"``, ``"tracks"``), or
        ``None`` for one value per entry.
    bits
        For floats: significant bits of the mantissa kept on disk (23 = full
        float32). Fewer bits compress better; the relative precision is 2**-bits.
    """

    name: str
    unit: str
    dtype: str
    description: str
    group: str | None = None
    bits: int = 23

    @property
    def precision(self) -> str:
        """Human-readable stored precision of the field."""
        if np.issubdtype(np.dtype(self.dtype), np.floating):
            return f"{self.dtype}, relative {2.0 ** -(self.bits + 1):.0e}"
        return f"{self.dtype}, exact"


@dataclass(frozen=True)
class Process:
    """One physics process of a sample, with its own Pythia settings.

    Attributes
    ----------
    name
        Short name (``"ttbar"``, ``"qcd"``).
    description
        One sentence, with the generator-level cuts.
    settings
        Pythia ``readString`` lines beyond the common settings.
    share
        Fraction of the requested entries taken from this process.
    branching_fraction
        Product of the branching fractions selected by forced decays (1 if none);
        multiplied into ``weight_pb``.
    options
        Free-form options for the chunk function (e.g. the class label).
    """

    name: str
    description: str
    settings: tuple[str, ...]
    share: float
    branching_fraction: float = 1.0
    options: dict[str, object] = field(default_factory=dict)


@dataclass
class ChunkResult:
    """What a chunk function returns.

    Attributes
    ----------
    arrays
        Field name to array: 1-d numpy arrays for scalar fields, awkward arrays
        of records (one list per entry) keyed by group name for jagged groups.
    n_generated
        Number of Pythia events generated (accepted by Pythia) in the chunk.
    sum_weights
        Sum of Pythia event weights over those events (``n_generated`` when the
        generation is unbiased).
    entry_weights
        Pythia weight of the event each stored entry comes from, shape (n_keep,).
    sigma_pb, sigma_err_pb
        Pythia's estimate of the process cross section and its error [pb].
    time_pythia_s, time_total_s
        CPU time spent inside Pythia's event generation and in the whole chunk
        (after Pythia's initialisation).
    """

    arrays: dict[str, object]
    n_generated: int
    sum_weights: float
    entry_weights: np.ndarray
    sigma_pb: float
    sigma_err_pb: float
    time_pythia_s: float
    time_total_s: float


ChunkFunction = Callable[[Process, int, int], ChunkResult]


@dataclass(frozen=True)
class Sample:
    """Declaration of one dataset.

    Attributes
    ----------
    name
        Canonical dataset name (file ``data/<name>.root``).
    description
        One paragraph for ``info`` and the data page.
    entry
        What one stored entry is: ``"jet"`` or ``"event"``.
    processes
        The processes, in label order.
    fields
        Stored fields (the infrastructure adds ``process`` and ``weight_pb``).
    chunk
        Chunk function, see the module docstring.
    chunk_size
        Entries kept per chunk at most (the unit of parallel work).
    fast_entries
        Entries per split returned in fast mode.
    default_entries
        Entries of the shipped file (the ``--events`` default).
    balance_by
        Optional (label field, kinematic field, ...) used by
        ``load(..., balanced=True)`` to equalise classes in those variables.
    """

    name: str
    description: str
    entry: str
    processes: tuple[Process, ...]
    fields: tuple[Field, ...]
    chunk: ChunkFunction
    chunk_size: int = 2000
    fast_entries: int = 2000
    default_entries: int = 10_000
    balance_by: tuple[str, ...] = ()

    def all_fields(self) -> tuple[Field, ...]:
        """Declared fields plus the two the infrastructure adds."""
        extra = (
            Field("process", "", "int8", "Index of the process in the sample."),
            Field(
                "weight_pb",
                "pb",
                "float32",
                "Cross section per stored entry: summed over a process it "
                "estimates sigma x BR x selection efficiency.",
            ),
        )
        return tuple(self.fields) + extra

    def groups(self) -> list[str]:
        """Names of the jagged groups, in declaration order."""
        out: list[str] = []
        for f in self.fields:
            if f.group is not None and f.group not in out:
                out.append(f.group)
        return out


def _discover() -> dict[str, Sample]:
    found: dict[str, Sample] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        sample = getattr(module, "SAMPLE", None)
        if isinstance(sample, Sample):
            found[sample.name] = sample
    return found


_REGISTRY: dict[str, Sample] | None = None


def _registry() -> dict[str, Sample]:
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _discover()
    return _REGISTRY


def available() -> list[str]:
    """Names of all declared samples, sorted.

    Returns
    -------
    list of str
        Dataset names accepted by :func:`get_sample` and ``load``.

    Examples
    --------
    >>> "flavour_tagging" in available()
    True
    """
    return sorted(_registry())


def get_sample(name: str) -> Sample:
    """Return the declaration of sample ``name``.

    Parameters
    ----------
    name
        Dataset name.

    Returns
    -------
    Sample
        The declaration.

    Raises
    ------
    KeyError
        If no sample has that name; the message lists the available ones.

    Examples
    --------
    >>> get_sample("boosted_jets").name
    'boosted_jets'
    """
    registry = _registry()
    if name not in registry:
        msg = f"Unknown dataset {name!r}. Available datasets: {', '.join(available())}."
        raise KeyError(msg)
    return registry[name]
