"""Turn loaded awkward arrays into the shapes models and tables want.

Jagged collections (constituents, tracks, jets) become padded numpy arrays with a
boolean mask (True for real entries); the scalar fields of a dataset become a
pandas DataFrame; classes can be equalised in their kinematic distributions.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import awkward as ak
import numpy as np
import pandas as pd

log = logging.getLogger(__name__)


def to_padded(
    jagged: ak.Array,
    max_len: int,
    fields: Sequence[str] | None = None,
    fill: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Pad a jagged array (or a jagged group of records) to a fixed length.

    Parameters
    ----------
    jagged
        Jagged array with one list per entry: numbers, or records (a group such
        as ``jets.constituents``).
    max_len
        Length of the padded axis; longer lists are truncated (they keep their
        stored order: by pT for constituents, by signed d0 significance for
        tracks).
    fields
        For records: fields to stack along the last axis, in this order (all
        fields if None).
    fill
        Value of the padding.

    Returns
    -------
    values, mask
        ``values`` of shape (n, max_len) for numbers or (n, max_len, n_fields) for
        records, float32; ``mask`` of shape (n, max_len), True for real entries.

    Examples
    --------
    >>> x, m = to_padded(ak.Array([[1.0, 2.0], [3.0]]), 3)
    >>> x.tolist(), m.tolist()
    ([[1.0, 2.0, 0.0], [3.0, 0.0, 0.0]], [[True, True, False], [True, False, False]])
    """
    padded = ak.pad_none(jagged, max_len, axis=1, clip=True)
    mask = ak.to_numpy(~ak.is_none(padded, axis=1))
    if jagged.fields:
        names = list(fields) if fields is not None else jagged.fields
        columns = [
            ak.to_numpy(ak.fill_none(padded[name], fill)).astype(np.float32)
            for name in names
        ]
        return np.stack(columns, axis=-1), mask
    return ak.to_numpy(ak.fill_none(padded, fill)).astype(np.float32), mask


def to_dataframe(arrays: ak.Array) -> pd.DataFrame:
    """Scalar fields of a dataset as a DataFrame (jagged groups are left out).

    Parameters
    ----------
    arrays
        One record per entry, as returned by :func:`lessons_code.data.load`.

    Returns
    -------
    pandas.DataFrame
        One row per entry, one column per scalar field.

    Examples
    --------
    >>> to_dataframe(ak.Array([{"a": 1.0, "b": [1, 2]}])).columns.tolist()
    ['a']
    """
    columns = {}
    for name in arrays.fields:
        column = arrays[name]
        if column.ndim == 1 and not column.fields:
            columns[name] = ak.to_numpy(column)
    return pd.DataFrame(columns)


def balance_classes(
    arrays: ak.Array,
    label: str,
    kinematics: Sequence[str],
    rng: np.random.Generator,
    bins: int = 10,
) -> ak.Array:
    """Subsample so that every class has the same counts in each kinematic bin.

    The kinematic variables are binned in quantiles of the whole sample (``bins``
    per variable); in each bin, every class is randomly subsampled to the count of
    the rarest class there. The classes then share one (pT, eta) distribution, so a
    classifier cannot separate them by kinematics alone.

    Parameters
    ----------
    arrays
        One record per entry.
    label
        Name of the integer class field.
    kinematics
        Names of the scalar fields to balance in (e.g. ``["jet_pt", "jet_eta"]``).
    rng
        Random generator for the subsampling.
    bins
        Quantile bins per variable.

    Returns
    -------
    awkward.Array
        The kept entries, in a random order.

    Examples
    --------
    >>> a = ak.Array({"y": [0, 0, 0, 1], "pt": [1.0, 2.0, 3.0, 2.5]})
    >>> out = balance_classes(a, "y", ["pt"], np.random.default_rng(0), bins=1)
    >>> sorted(out.y.tolist())
    [0, 1]
    """
    labels = ak.to_numpy(arrays[label])
    cell = np.zeros(len(labels), dtype=np.int64)
    for name in kinematics:
        values = ak.to_numpy(arrays[name]).astype(np.float64)
        edges = np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1])
        cell = cell * bins + np.searchsorted(edges, values)
    classes = np.unique(labels)
    keep = []
    for c in np.unique(cell):
        members = [np.flatnonzero((cell == c) & (labels == k)) for k in classes]
        n = min(len(m) for m in members)
        keep.extend(rng.choice(m, n, replace=False) for m in members if n)
    index = rng.permutation(np.concatenate(keep)) if keep else np.array([], int)
    return arrays[index]
