"""Find, verify, download and read the shipped datasets.

Splits are fixed: the entries of every file are stored in a random order drawn
from the generation seed, and the splits are contiguous fractions of the file,
``train`` the first 60 %, ``valid`` the next 20 %, ``test`` the last 20 %. In fast
mode :func:`load` returns the first ``Sample.fast_entries`` entries of the split
(a random subset, because the file is shuffled).

Where a file comes from, in order: the data folder of the repository (checked
against the sha256 in the manifest), the download cache (the file is fetched with
pooch from the raw-file URL of the repository configured in ``_config.yml`` and
verified by sha256), else an error that names the command regenerating it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import awkward as ak
import numpy as np

with warnings.catch_warnings():
    # pooch imports tqdm.auto, which warns in a notebook without ipywidgets; the
    # downloads here show no progress bar, so the warning says nothing useful.
    warnings.filterwarnings("ignore", message="IProgress not found")
    import pooch

from lessons_code.config import fast_mode
from lessons_code.data import storage
from lessons_code.data.samples import available, get_sample

log = logging.getLogger(__name__)

#: Repository root (this file is lessons_code/data/loading.py).
REPO_ROOT = Path(__file__).resolve().parents[2]
#: Folder of the shipped files and the manifest.
DATA_DIR = REPO_ROOT / "data"
#: Download cache for files absent from the data folder.
CACHE_DIR = Path(pooch.os_cache("ml-for-physics"))
#: Fixed splits as fractions of the (shuffled) file.
SPLITS: dict[str, tuple[float, float]] = {
    "train": (0.0, 0.6),
    "valid": (0.6, 0.8),
    "test": (0.8, 1.0),
}
#: Repository URL used when ``_config.yml`` is not available (installed package).
DEFAULT_REPOSITORY = ("https://github.com/ml-physics-course/ml-for-physics", "main")


class ChecksumError(RuntimeError):
    """A data file does not match the sha256 recorded in the manifest."""


_VERIFIED: dict[tuple[str, int, float], str] = {}


def repository() -> tuple[str, str]:
    """Repository URL and branch from ``_config.yml`` (or the default).

    Returns
    -------
    url, branch
        For example ``("https://github.com/org/repo", "main")``.

    Examples
    --------
    >>> repository()[0].startswith("https://")
    True
    """
    config = REPO_ROOT / "_config.yml"
    if not config.exists():
        return DEFAULT_REPOSITORY
    import yaml  # only needed inside a clone of the repository (book tooling)

    settings = yaml.safe_load(config.read_text()).get("repository", {})
    url = str(settings.get("url", DEFAULT_REPOSITORY[0])).rstrip("/")
    return url, str(settings.get("branch", DEFAULT_REPOSITORY[1]))


def dataset_url(name: str) -> str:
    """Raw-file download URL of ``data/<name>.root`` on the configured branch.

    Parameters
    ----------
    name
        Dataset name.

    Returns
    -------
    str
        URL of the raw file.

    Examples
    --------
    >>> dataset_url("boosted_jets").endswith("/data/boosted_jets.root")
    True
    """
    url, branch = repository()
    if url.startswith("https://github.com/"):
        owner_repo = url.removeprefix("https://github.com/")
        return (
            f"https://raw.githubusercontent.com/{owner_repo}/{branch}/data/{name}.root"
        )
    return f"{url}/raw/{branch}/data/{name}.root"


def regenerate_command(name: str, seed: int | None = None, out: str = "data") -> str:
    """Shell command that regenerates the shipped file of ``name``.

    Parameters
    ----------
    name
        Dataset name.
    seed
        Base seed (the shipped one from the manifest if None and known, else 1).
    out
        Output folder.

    Returns
    -------
    str
        The command.

    Examples
    --------
    >>> regenerate_command("boosted_jets", seed=3).split()[:5]
    ['python', '-m', 'lessons_code.data', 'generate', 'boosted_jets']
    """
    sample = get_sample(name)
    if seed is None:
        seed = storage.read_manifest(DATA_DIR).get(name, {}).get("seed", 1)
    return (
        f"python -m lessons_code.data generate {name} --events "
        f"{sample.default_entries} --seed {seed} --workers 2 --out {out}"
    )


def _check(path: Path, sha256: str, name: str) -> None:
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime)
    if _VERIFIED.get(key) == sha256:
        return
    actual = storage.file_sha256(path)
    if actual != sha256:
        msg = (
            f"{path} is corrupt or out of date: its sha256 {actual[:12]}... does not "
            f"match the manifest ({sha256[:12]}...). Delete it and restore it with "
            f"`git checkout -- data/{name}.root` (or let load() download it again), "
            f"or regenerate it with `{regenerate_command(name)}`."
        )
        raise ChecksumError(msg)
    _VERIFIED[key] = sha256


def dataset_path(
    name: str, data_dir: Path | None = None, download: bool = True
) -> Path:
    """Path of a verified copy of dataset ``name``, downloading it if needed.

    Parameters
    ----------
    name
        Dataset name.
    data_dir
        Folder with the files and ``manifest.json`` (default: the repository's
        ``data/``).
    download
        Whether to try the download when the file is absent.

    Returns
    -------
    pathlib.Path
        A file whose sha256 matches the manifest.

    Raises
    ------
    KeyError
        Unknown dataset name (the message lists the available ones).
    ChecksumError
        The local file does not match the manifest.
    FileNotFoundError
        No manifest entry, or the file is absent and cannot be downloaded; the
        message names the command that regenerates it.

    Examples
    --------
    >>> # dataset_path("boosted_jets")
    """
    get_sample(name)
    data_dir = DATA_DIR if data_dir is None else Path(data_dir)
    entry = storage.read_manifest(data_dir).get(name)
    if entry is None:
        msg = (
            f"Dataset {name!r} has no entry in {data_dir / storage.MANIFEST_NAME}: "
            f"it was never generated there. Generate it with "
            f"`{regenerate_command(name, out=str(data_dir))}`."
        )
        raise FileNotFoundError(msg)
    local = data_dir / entry["file"]
    if local.exists():
        _check(local, entry["sha256"], name)
        return local
    if download:
        try:
            fetched = pooch.retrieve(
                dataset_url(name),
                known_hash=f"sha256:{entry['sha256']}",
                fname=entry["file"],
                path=CACHE_DIR,
                progressbar=False,
            )
            return Path(fetched)
        except Exception as err:  # noqa: BLE001 - any download failure ends here
            log.warning("download of %s failed: %s", name, err)
    msg = (
        f"{local} is absent and could not be downloaded from {dataset_url(name)}. "
        f"Regenerate it with `{regenerate_command(name)}`."
    )
    raise FileNotFoundError(msg)


def _split_range(n_entries: int, split: str) -> tuple[int, int]:
    if split not in SPLITS:
        msg = f"Unknown split {split!r}: use one of {', '.join(SPLITS)}."
        raise ValueError(msg)
    lo, hi = SPLITS[split]
    return round(lo * n_entries), round(hi * n_entries)


def load(
    name: str,
    split: str = "train",
    *,
    fields: list[str] | None = None,
    fast: bool | None = None,
    balanced: bool = False,
    seed: int = 0,
    data_dir: Path | None = None,
    download: bool = True,
) -> ak.Array:
    """Load one split of a dataset.

    Parameters
    ----------
    name
        Dataset name, one of :func:`available`.
    split
        ``"train"`` (first 60 % of the file), ``"valid"`` (next 20 %) or
        ``"test"`` (last 20 %).
    fields
        Top-level fields (scalar names or group names such as ``"tracks"``) to
        read; all if None.
    fast
        Return only the first ``Sample.fast_entries`` entries of the split;
        defaults to the course's fast mode.
    balanced
        For samples declaring ``balance_by`` (``flavour_tagging``): resample so
        that every class has the same (pT, eta) distribution and count, see
        :func:`lessons_code.data.arrays.balance_classes`.
    seed
        Seed of the resampling when ``balanced``.
    data_dir
        Folder with the files and the manifest (default: repository ``data/``).
    download
        Allow downloading an absent file.

    Returns
    -------
    awkward.Array
        One record per entry (jet or event).

    Raises
    ------
    KeyError
        Unknown dataset name.
    ValueError
        Unknown split, or ``balanced`` for a sample without classes.
    ChecksumError, FileNotFoundError
        As for :func:`dataset_path`.

    Examples
    --------
    >>> jets = load("boosted_jets", "valid", fast=True)  # doctest: +SKIP
    >>> jets.fields[:3]  # doctest: +SKIP
    ['jet_pt', 'jet_eta', 'jet_phi']
    """
    sample = get_sample(name)
    path = dataset_path(name, data_dir, download)
    data_dir = DATA_DIR if data_dir is None else Path(data_dir)
    n_entries = storage.read_manifest(data_dir)[name]["entries"]
    start, stop = _split_range(n_entries, split)
    if fast_mode() if fast is None else fast:
        stop = min(stop, start + sample.fast_entries)
    arrays = storage.read_root(path, sample, start, stop, fields)
    if balanced:
        from lessons_code.data.arrays import balance_classes

        if not sample.balance_by:
            msg = f"Dataset {name!r} declares no classes to balance."
            raise ValueError(msg)
        label, *kinematics = sample.balance_by
        arrays = balance_classes(arrays, label, kinematics, np.random.default_rng(seed))
    return arrays


def verify(data_dir: Path | None = None) -> dict[str, str]:
    """Check every file of the manifest against its sha256 and size.

    Parameters
    ----------
    data_dir
        Folder with the files and ``manifest.json``.

    Returns
    -------
    dict
        Dataset name to ``"ok"``, ``"missing"`` or ``"mismatch"``.

    Examples
    --------
    >>> # verify() -> {'boosted_jets': 'ok', ...}
    """
    data_dir = DATA_DIR if data_dir is None else Path(data_dir)
    status = {}
    for name, entry in storage.read_manifest(data_dir).items():
        path = data_dir / entry["file"]
        if not path.exists():
            status[name] = "missing"
        elif path.stat().st_size != entry["size_bytes"]:
            status[name] = "mismatch"
        else:
            ok = storage.file_sha256(path) == entry["sha256"]
            status[name] = "ok" if ok else "mismatch"
    return status


__all__ = ["available", "load", "verify", "dataset_path", "ChecksumError"]
