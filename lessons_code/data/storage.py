"""ROOT files and the JSON manifest: writing, reading and checksums.

A dataset file ``data/<name>.root`` holds one tree (named for what one entry is:
``jets`` or ``events``). Scalar fields are plain branches; each jagged group (for
example ``constituents``) is a set of branches ``<group>_<field>`` sharing the
counter branch ``n<group>``. Files are written with uproot and LZMA compression;
floats are rounded to the number of mantissa bits declared per field before
writing, which costs no precision the detector model resolves and lets the
compression work.

The manifest ``data/manifest.json`` maps each dataset name to its file, sha256,
size, entry counts, generator versions and every setting and seed. Writing one
dataset merges its entry into the manifest and leaves the others untouched.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import awkward as ak
import numpy as np
import uproot

from lessons_code.data.samples import Field, Sample

log = logging.getLogger(__name__)

#: Manifest file name inside a data folder.
MANIFEST_NAME = "manifest.json"

#: Compression of the ROOT files (LZMA level 9: smallest files, slower writing).
COMPRESSION = uproot.LZMA(9)

#: Entries per basket. Reading any entry decompresses its whole basket, so
#: baskets of this size let ``load`` read a split or a fast-mode subset without
#: decompressing the whole file. (Files written before this setting hold one
#: basket per branch: they read correctly, only partial reads are not faster.)
BASKET_ENTRIES = 10_000


def tree_name(sample: Sample) -> str:
    """Name of the tree holding ``sample`` (``"jets"`` or ``"events"``)."""
    return f"{sample.entry}s"


def round_mantissa(values: np.ndarray, bits: int) -> np.ndarray:
    """Round float32 values to ``bits`` significant mantissa bits.

    Parameters
    ----------
    values
        Float array, any shape.
    bits
        Mantissa bits kept, 0 to 23.

    Returns
    -------
    numpy.ndarray
        float32 array, same shape; the relative rounding error is at most
        2**-(bits + 1).

    Examples
    --------
    >>> float(round_mantissa(np.array([1.2345678]), 7)[0])
    1.234375
    """
    out = np.ascontiguousarray(values, dtype=np.float32)
    if bits >= 23:
        return out
    drop = 23 - bits
    as_int = out.view(np.uint32).astype(np.uint64)
    as_int = (as_int + (1 << (drop - 1))) & ~np.uint64((1 << drop) - 1)
    return as_int.astype(np.uint32).view(np.float32)


def _stored(values: object, f: Field) -> object:
    dtype = np.dtype(f.dtype)
    if isinstance(values, ak.Array) and values.ndim == 1:
        values = ak.to_numpy(values)
    if np.issubdtype(dtype, np.floating):
        if isinstance(values, ak.Array):
            flat = round_mantissa(ak.to_numpy(ak.flatten(values)), f.bits)
            return ak.unflatten(flat, ak.num(values))
        return round_mantissa(np.asarray(values), f.bits)
    if isinstance(values, ak.Array):
        return ak.values_astype(values, dtype)
    return np.asarray(values).astype(dtype)


def write_root(path: Path, sample: Sample, arrays: ak.Array) -> None:
    """Write one dataset to a ROOT file.

    Parameters
    ----------
    path
        Output file (overwritten).
    sample
        Declaration of the dataset.
    arrays
        One record per entry with every field of ``sample.all_fields()``; jagged
        groups as lists of records.

    Examples
    --------
    >>> from lessons_code.data.samples import get_sample
    >>> # write_root(Path("data/dev/x.root"), get_sample("boosted_jets"), jets)
    """
    branches: dict[str, object] = {}
    for f in sample.all_fields():
        if f.group is None:
            branches[f.name] = _stored(arrays[f.name], f)
    for group in sample.groups():
        members = {
            f.name: _stored(arrays[group][f.name], f)
            for f in sample.fields
            if f.group == group
        }
        branches[group] = ak.zip(members)
    path.parent.mkdir(parents=True, exist_ok=True)
    with uproot.recreate(path, compression=COMPRESSION) as out:
        out.mktree(
            tree_name(sample),
            {
                k: (v.type if isinstance(v, ak.Array) else v.dtype)
                for k, v in branches.items()
            },
            field_name=lambda outer, inner: f"{outer}_{inner}",
        )
        tree = out[tree_name(sample)]
        for start in range(0, len(arrays), BASKET_ENTRIES):
            stop = start + BASKET_ENTRIES
            tree.extend({k: v[start:stop] for k, v in branches.items()})
    log.info("wrote %s (%d entries)", path, len(arrays))


def read_root(
    path: Path,
    sample: Sample,
    entry_start: int = 0,
    entry_stop: int | None = None,
    fields: list[str] | None = None,
) -> ak.Array:
    """Read a range of entries of a dataset file.

    Parameters
    ----------
    path
        ROOT file written by :func:`write_root`.
    sample
        Its declaration.
    entry_start, entry_stop
        Entry range (Python slice semantics).
    fields
        Top-level fields to read (scalar names or group names); all if None.

    Returns
    -------
    awkward.Array
        One record per entry; jagged groups as lists of records.

    Examples
    --------
    >>> # jets = read_root(Path("data/boosted_jets.root"), sample, 0, 100)
    """
    wanted = set(fields) if fields is not None else None
    expressions = []
    for f in sample.all_fields():
        top = f.group or f.name
        if wanted is not None and top not in wanted:
            continue
        expressions.append(f"{f.group}_{f.name}" if f.group else f.name)
    with uproot.open(path) as handle:
        tree = handle[tree_name(sample)]
        raw = tree.arrays(
            expressions, entry_start=entry_start, entry_stop=entry_stop, library="ak"
        )
    out: dict[str, ak.Array] = {}
    for f in sample.all_fields():
        if f.group is None and f.name in raw.fields:
            out[f.name] = raw[f.name]
    for group in sample.groups():
        members = {
            f.name: raw[f"{group}_{f.name}"]
            for f in sample.fields
            if f.group == group and f"{group}_{f.name}" in raw.fields
        }
        if members:
            out[group] = ak.zip(members)
    return ak.zip(out, depth_limit=1)


def file_sha256(path: Path) -> str:
    """Hex sha256 digest of a file.

    Parameters
    ----------
    path
        File to hash.

    Returns
    -------
    str
        64 hexadecimal characters.

    Examples
    --------
    >>> # file_sha256(Path("data/boosted_jets.root"))
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(data_dir: Path) -> dict[str, dict]:
    """Read the manifest of a data folder (empty if there is none).

    Parameters
    ----------
    data_dir
        Folder holding ``manifest.json``.

    Returns
    -------
    dict
        Dataset name to its manifest entry.

    Raises
    ------
    ValueError
        If the manifest exists but is not valid JSON.

    Examples
    --------
    >>> read_manifest(Path("/nonexistent"))
    {}
    """
    path = data_dir / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())["datasets"]
    except (json.JSONDecodeError, KeyError) as err:
        msg = (
            f"{path} is not a valid manifest ({err}); restore it with "
            f"`git checkout -- {path}` or regenerate the datasets."
        )
        raise ValueError(msg) from err


def update_manifest(data_dir: Path, name: str, entry: dict) -> Path:
    """Merge one dataset's entry into the manifest, keeping the others.

    Parameters
    ----------
    data_dir
        Folder holding ``manifest.json`` (created if absent).
    name
        Dataset name.
    entry
        Its manifest entry.

    Returns
    -------
    pathlib.Path
        The manifest path.

    Examples
    --------
    >>> # update_manifest(Path("data"), "boosted_jets", {...})
    """
    datasets = read_manifest(data_dir)
    datasets[name] = entry
    path = data_dir / MANIFEST_NAME
    data_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"datasets": dict(sorted(datasets.items()))}, indent=1)
    path.write_text(text + "\n")
    return path
