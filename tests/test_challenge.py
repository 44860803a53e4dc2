"""The challenge kit: submission validation, scoring, leaderboards, command line."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import awkward as ak
import numpy as np
import pytest

from lessons_code.challenge.cli import main
from lessons_code.challenge.features import (
    EVENT_COLUMNS,
    FEATURE_COLUMNS,
    TARGETS,
    flatten,
    read_table,
    tth_only,
    write_table,
)
from lessons_code.challenge.scoring import (
    Truth,
    read_truth,
    score_arrays,
    write_leaderboards,
    write_truth,
)

IDS = np.array([101, 102, 103, 104, 105, 106])
TRUTH = np.array(
    [[100.0, 0.5], [200.0, -1.0], [50.0, 0.0], [150.0, 1.5], [300.0, -0.5],
     [80.0, 2.0]]
)  # fmt: skip
SUBSET = np.array(["public", "private", "public", "private", "private", "private"])
HEADER = "event_id,higgs_pt,higgs_y\n"


def rows(pred: np.ndarray = TRUTH, ids: np.ndarray = IDS) -> str:
    return "".join(f"{i},{p},{y}\n" for i, (p, y) in zip(ids, pred, strict=True))


@pytest.fixture
def challenge(tmp_path: Path) -> Path:
    features = {"lep_pt": np.linspace(30, 80, len(IDS))}
    write_table(tmp_path / "eval_features.csv", IDS, features, ["lep_pt"])
    write_truth(tmp_path / "truth.csv", Truth(IDS, TRUTH, SUBSET))
    return tmp_path


def run_validate(
    challenge: Path, content: str | bytes, capsys, *extra: str
) -> tuple[int, str]:
    path = challenge / "sub.csv"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    code = main(["validate", str(path), "--features",
                 str(challenge / "eval_features.csv"), *extra])  # fmt: skip
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_valid_submission(challenge: Path, capsys) -> None:
    code, out = run_validate(challenge, HEADER + rows(), capsys)
    assert code == 0
    assert "valid: 6 rows" in out


def test_columns_in_any_order(challenge: Path, capsys) -> None:
    text = "higgs_y,event_id,higgs_pt\n" + "".join(
        f"{y},{i},{p}\n" for i, (p, y) in zip(IDS, TRUTH, strict=True)
    )
    assert run_validate(challenge, text, capsys)[0] == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("event_id,higgs_pt\n" + "".join(f"{i},1\n" for i in IDS),
         "line 1: missing column 'higgs_y'"),
        (HEADER.strip() + ",extra\n" + "".join(f"{i},1,2,3\n" for i in IDS),
         "line 1: extra column 'extra'"),
        ("event_id,higgs_pt,higgs_rapidity\n" + rows(),
         "is 'higgs_rapidity' meant to be 'higgs_y'?"),
        (HEADER + rows()[: rows().index("\n") + 1] + rows(),
         "line 3: event_id 101 duplicated (first on line 2)"),
        (HEADER + rows().replace("104,", "999,"), "line 5: event_id 999 is not in"),
        (HEADER + rows(TRUTH[:4], IDS[:4]), "4 rows where the evaluation features"),
        (HEADER + rows(TRUTH[:4], IDS[:4]), "2 event id(s) missing: 105, 106"),
        (HEADER + rows().replace("200.0", "nan"), "line 3: higgs_pt is 'nan'"),
        (HEADER + rows().replace("-1.0", "inf"), "line 3: higgs_y is 'inf'"),
        (HEADER + rows().replace("150.0", "-Infinity"), "line 5: higgs_pt is"),
        (HEADER + rows().replace("300.0", "three hundred"),
         "line 6: higgs_pt 'three hundred' is not a number"),
        (HEADER + rows().replace("102,", "1e2x,"), "line 3: event_id '1e2x' is not"),
        (HEADER + rows().replace("103,50.0,0.0", "103,50.0"), "line 4: 2 fields"),
        ("", "the file is empty"),
        ("\n\n", "the file is empty"),
        (HEADER, "the file has a header but no rows"),
    ],
)  # fmt: skip
def test_invalid_submissions(challenge: Path, capsys, content: str, expected: str):
    code, out = run_validate(challenge, content, capsys)
    assert code == 1, out
    assert expected in out, out


def test_every_problem_is_listed(challenge: Path, capsys) -> None:
    text = HEADER + rows().replace("200.0", "nan").replace("105,", "7,")
    code, out = run_validate(challenge, text, capsys)
    assert code == 1
    assert "line 3: higgs_pt" in out
    assert "line 6: event_id 7 is not" in out
    assert "1 event id(s) missing: 105" in out


def test_byte_order_mark_and_windows_line_endings(challenge: Path, capsys) -> None:
    text = (HEADER + rows()).replace("\n", "\r\n")
    code, out = run_validate(challenge, b"\xef\xbb\xbf" + text.encode(), capsys)
    assert code == 0, out
    assert "byte-order mark ignored" in out
    assert "Windows line endings (CR LF) accepted" in out
    assert "valid: 6 rows" in out


def test_gzip_file(challenge: Path, capsys) -> None:
    code, out = run_validate(challenge, gzip.compress((HEADER + rows()).encode()),
                             capsys)  # fmt: skip
    assert code == 1
    assert "gzip-compressed; decompress it" in out


def test_binary_and_non_utf8(challenge: Path, capsys) -> None:
    code, out = run_validate(challenge, b"\x80\x04\x95pickle\x00\x00", capsys)
    assert code == 1
    assert "NUL bytes" in out
    code, out = run_validate(challenge, (HEADER + rows()).encode() + b"\xff\n",
                             capsys)  # fmt: skip
    assert code == 1
    assert "line 8: bytes that are not UTF-8" in out


def test_size_limit(challenge: Path, capsys) -> None:
    text = HEADER + rows()
    code, out = run_validate(challenge, text, capsys, "--max-bytes", "50")
    assert code == 1
    assert f"the file has {len(text)} bytes, more than the limit of 50" in out


def test_usage_and_io_errors(challenge: Path, capsys) -> None:
    features = str(challenge / "eval_features.csv")
    assert main(["validate", str(challenge / "absent.csv"), "--features",
                 features]) == 2  # fmt: skip
    assert "cannot read the submission" in capsys.readouterr().err
    assert main(["validate", str(challenge), "--features", features]) == 2
    assert main(["validate", features, "--features", "nowhere.csv"]) == 2
    assert main(["validate"]) == 2
    assert main(["frobnicate"]) == 2
    truth = str(challenge / "truth.csv")
    none, out = str(challenge / "none"), str(challenge / "lb")
    assert main(["score", "--truth", truth, "--submissions", none, "--out", out]) == 2


def test_score_hand_computed() -> None:
    truth = np.array([[100.0, 0.0], [200.0, 2.0], [300.0, 1.0]])
    pred = np.array([[110.0, 0.0], [190.0, 1.0], [300.0, 1.0]])
    # RMSE: pt sqrt((100 + 100 + 0) / 3), y sqrt(1 / 3); std: pt sqrt(20000 / 3),
    # y sqrt(2 / 3). Score: (sqrt(200 / 20000) + sqrt(1 / 2)) / 2.
    s = score_arrays(truth, pred)
    assert s.rmse[0] == pytest.approx(math.sqrt(200 / 3))
    assert s.rmse[1] == pytest.approx(math.sqrt(1 / 3))
    assert s.score == pytest.approx((0.1 + math.sqrt(0.5)) / 2)


def test_perfect_and_mean_predictors() -> None:
    rng = np.random.default_rng(3)
    truth = np.column_stack([rng.exponential(120, 5000), rng.normal(0, 1.2, 5000)])
    assert score_arrays(truth, truth).score == 0.0
    train = np.column_stack([rng.exponential(120, 5000), rng.normal(0, 1.2, 5000)])
    mean = np.broadcast_to(train.mean(axis=0), truth.shape)
    assert score_arrays(truth, mean).score == pytest.approx(1.0, abs=0.02)
    with pytest.raises(ValueError, match="zero spread"):
        score_arrays(np.ones((3, 2)), np.ones((3, 2)))


def test_leaderboards(challenge: Path, capsys) -> None:
    subs = challenge / "subs"
    subs.mkdir()
    (subs / "perfect.csv").write_text(HEADER + rows())
    noisy = TRUTH + np.array([[20.0, 0.3]])
    (subs / "noisy.csv").write_text(HEADER + rows(noisy))
    (subs / "broken.csv").write_text("event_id,pt\n1,2\n")
    (subs / "<script>.csv").write_bytes(gzip.compress(b"x"))
    (subs / "model.pkl").write_bytes(b"\x80\x04K\x01.")
    out = challenge / "lb"
    code = main(["score", "--truth", str(challenge / "truth.csv"), "--submissions",
                 str(subs), "--out", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr()
    for name in ("public.csv", "private.csv", "public.md", "private.md",
                 "leaderboard.html"):  # fmt: skip
        assert (out / name).stat().st_size > 0
    ids, _ = read_table(challenge / "eval_features.csv")
    assert list(ids) == list(IDS)
    public = (out / "public.csv").read_text().splitlines()
    assert public[0].startswith("rank,team,score,rmse_higgs_pt_gev,rmse_higgs_y")
    assert public[1].startswith("1,perfect,0.0000,0.00,0.0000")
    assert public[2].startswith("2,noisy,")
    invalid = "\n".join(public[3:])
    assert "broken" in invalid and "missing column 'higgs_pt'" in invalid
    assert "gzip-compressed" in invalid and "model" in invalid
    assert "Private" not in (out / "public.html").read_text()
    page = (out / "leaderboard.html").read_text()
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert "| 1 | perfect |" in (out / "private.md").read_text()


def test_truth_round_trip(challenge: Path) -> None:
    truth = read_truth(challenge / "truth.csv")
    np.testing.assert_array_equal(truth.ids, IDS)
    np.testing.assert_array_equal(truth.targets, TRUTH)
    np.testing.assert_array_equal(truth.subset, SUBSET)


def synthetic_events(n_jets: list[int]) -> ak.Array:
    rng = np.random.default_rng(1)
    scalars = {c: rng.normal(size=len(n_jets)) for c in EVENT_COLUMNS}
    jets = [
        [{"pt": 100.0 - 10 * j, "eta": 0.1 * j, "phi": 0.2, "mass": 5.0, "btag": 0.9,
          "is_btagged": 1, "truth": 1} for j in range(n)]
        for n in n_jets
    ]  # fmt: skip
    return ak.Array(
        [
            {**{c: float(v[i]) for c, v in scalars.items()}, "jets": jets[i],
             "higgs_pt": 150.0, "higgs_y": 0.3, "process": i % 2}
            for i in range(len(n_jets))
        ]
    )  # fmt: skip


def test_flatten_pads_absent_jets_and_keeps_no_truth_labels() -> None:
    events = synthetic_events([4, 12, 6])
    table = flatten(events)
    assert list(table) == [*FEATURE_COLUMNS, *TARGETS]
    assert not any("truth" in c or "m_higgs" in c for c in table)
    assert table["jet5_pt"].tolist() == [0.0, 60.0, 60.0]
    assert table["jet5_btag"].tolist() == [-1.0, 0.9, 0.9]
    assert table["jet10_pt"].tolist() == [0.0, 10.0, 0.0]
    assert len(tth_only(events)) == 1
    with pytest.raises(KeyError, match="lack the tth fields"):
        flatten(events[["jets", "higgs_pt"]])


def test_module_entry_point_exit_codes(challenge: Path) -> None:
    import subprocess
    import sys

    good, bad = challenge / "good.csv", challenge / "bad.csv"
    good.write_text(HEADER + rows())
    bad.write_text(HEADER)
    features = str(challenge / "eval_features.csv")
    codes = [
        subprocess.run(
            [sys.executable, "-m", "lessons_code.challenge", "validate", str(path),
             "--features", features], capture_output=True, check=False,
        ).returncode
        for path in (good, bad, challenge / "absent.csv")
    ]  # fmt: skip
    assert codes == [0, 1, 2]


def test_an_unforeseen_failure_does_not_stop_the_others(
    challenge: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lessons_code.challenge import scoring

    subs = challenge / "subs"
    subs.mkdir()
    (subs / "a.csv").write_text(HEADER + rows())
    (subs / "b.csv").write_text(HEADER + rows())
    original = scoring.score_submission

    def flaky(path: Path, truth: Truth, max_bytes: int) -> scoring.Entry:
        if path.name == "a.csv":
            raise RuntimeError("unexpected")
        return original(path, truth, max_bytes)

    monkeypatch.setattr(scoring, "score_submission", flaky)
    boards = write_leaderboards(challenge / "truth.csv", subs, challenge / "lb")
    public = {r["team"]: r for r in boards["public"]}
    assert public["b"]["rank"] == "1"
    assert public["a"]["status"].startswith("invalid: could not be scored")
