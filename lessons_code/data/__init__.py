"""Simulated datasets of the course: generation, detector model, storage, loading.

Reading data needs only numpy, awkward, uproot and pooch::

    from lessons_code.data import load, available
    jets = load("boosted_jets", split="train")

Generating data needs the optional ``generate`` extra (Pythia 8, FastJet, Dask);
see :mod:`lessons_code.data.generate` and ``python -m lessons_code.data --help``.

Modules
-------
samples
    Registry of the datasets (declarations of processes, fields, chunk functions).
detector
    The detector model (acceptance, efficiencies, resolutions, with sources).
pythia_setup
    Common Pythia settings and seeded generator instances.
generate
    Chunked, seeded generation on a process pool or a Dask cluster.
storage
    ROOT files, manifest, checksums.
loading
    ``load`` with fixed splits, verification and download.
arrays, jets
    Padded arrays with masks, DataFrames, N-subjettiness, jet images.
"""

from lessons_code.data.arrays import balance_classes, to_dataframe, to_padded
from lessons_code.data.jets import jet_images, padded_constituents
from lessons_code.data.loading import (
    SPLITS,
    ChecksumError,
    dataset_path,
    load,
    verify,
)
from lessons_code.data.samples import available, get_sample

__all__ = [
    "SPLITS",
    "ChecksumError",
    "available",
    "balance_classes",
    "dataset_path",
    "get_sample",
    "jet_images",
    "load",
    "padded_constituents",
    "to_dataframe",
    "to_padded",
    "verify",
]
