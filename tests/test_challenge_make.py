"""``make`` of the challenge kit: determinism, secrecy, public/private split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lessons_code.challenge.features import FEATURE_COLUMNS, TARGETS, read_table
from lessons_code.challenge.make import make_challenge, plan, secret_seed
from lessons_code.challenge.scoring import read_truth
from lessons_code.challenge.validate import validate_submission
from lessons_code.data.generate import chunk_seed
from lessons_code.data.samples import get_sample


def test_secret_seeds_and_plan_avoid_shipped_seeds() -> None:
    base = secret_seed("s", "eval")
    assert base == secret_seed("s", "eval") != secret_seed("t", "eval")
    size = get_sample("tth").chunk_size
    tasks = plan(3 * size - 1, base, avoid={chunk_seed(base, 1, 0)})
    assert [t.n_keep for t in tasks] == [size, size, size - 1]
    assert chunk_seed(base, 1, 0) not in {t.seed for t in tasks}
    assert all(t.process_index == 1 and t.sample == "tth" for t in tasks)


def test_make_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="public_fraction"):
        make_challenge("s", tmp_path, public_fraction=1.5)
    with pytest.raises(ValueError, match="n_eval >= 4"):
        make_challenge("s", tmp_path, n_eval=2)
    with pytest.raises(ValueError, match="train_from"):
        make_challenge("s", tmp_path, train_from="web")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pytest.importorskip("pythia8mc")
    pytest.importorskip("fastjet")
    out = {}
    for name, secret in (("a", "alpha"), ("a2", "alpha"), ("b", "beta")):
        out[name] = tmp_path_factory.mktemp(name)
        make_challenge(secret, out[name], n_train=4, n_eval=8, train_from="generate")
    return out


@pytest.mark.slow
def test_make_is_deterministic_and_depends_on_the_seed(made: dict[str, Path]) -> None:
    files = ("public/train.csv", "public/eval_features.csv", "private/truth.csv")
    for f in files:
        assert (made["a"] / f).read_bytes() == (made["a2"] / f).read_bytes()
    _, a = read_table(made["a"] / "public/eval_features.csv")
    _, b = read_table(made["b"] / "public/eval_features.csv")
    assert not np.allclose(a["lep_pt"], b["lep_pt"])


@pytest.mark.slow
def test_make_writes_consistent_public_and_private_files(made: dict[str, Path]):
    ids, features = read_table(made["a"] / "public/eval_features.csv")
    train_ids, train = read_table(made["a"] / "public/train.csv")
    truth = read_truth(made["a"] / "private/truth.csv")
    assert list(features) == list(FEATURE_COLUMNS)
    assert list(train) == [*FEATURE_COLUMNS, *TARGETS]
    assert len(ids) == 8 and len(train_ids) == 4
    assert not set(ids) & set(train_ids)
    np.testing.assert_array_equal(np.sort(truth.ids), np.sort(ids))
    public = set(truth.ids[truth.subset == "public"])
    private = set(truth.ids[truth.subset == "private"])
    assert public and private and not public & private
    assert public | private == set(ids)
    assert np.all(np.isfinite(truth.targets)) and np.all(truth.targets[:, 0] > 0)
    assert np.all(features["n_jets"] >= 4) and np.all(features["n_btags"] >= 2)
    readme = (made["a"] / "public/README.md").read_text()
    assert "| `jet{i}_pt` | GeV |" in readme and "| `higgs_y` |" in readme
    sample = validate_submission(made["a"] / "public/sample_submission.csv", ids)
    assert sample.valid, sample.report()


def test_make_command_line_errors(tmp_path: Path, capsys) -> None:
    from lessons_code.challenge.cli import main

    out = str(tmp_path / "c")
    assert main(["make", "--seed", "s", "--out", out, "--n-eval", "2"]) == 2
    assert "n_eval >= 4" in capsys.readouterr().err
    empty = str(tmp_path / "nodata")
    assert main(["make", "--seed", "s", "--out", out, "--data-dir", empty]) == 2
    assert "error:" in capsys.readouterr().err
    assert main(["make", "--out", out]) == 2


def test_seeds_of_the_shipped_file_are_read_from_the_manifest(tmp_path: Path) -> None:
    from lessons_code.challenge.make import _shipped_seeds

    manifest = '{"datasets": {"tth": {"chunk_seeds": {"ttbar": [3], "tth": [5, 8]}}}}'
    (tmp_path / "manifest.json").write_text(manifest)
    assert _shipped_seeds(tmp_path) == {3, 5, 8}
    assert _shipped_seeds(tmp_path / "absent") == set()
