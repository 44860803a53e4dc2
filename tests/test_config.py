"""Fast mode is read from one variable, strictly."""

import pytest

from lessons_code import config


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_fast_mode_on(monkeypatch, value):
    monkeypatch.setenv(config.FAST_ENV, value)
    assert config.fast_mode() is True
    assert config.by_mode(full=10, fast=2) == 2


@pytest.mark.parametrize("value", ["0", "false", "", "off"])
def test_fast_mode_off(monkeypatch, value):
    monkeypatch.setenv(config.FAST_ENV, value)
    assert config.fast_mode() is False
    assert config.by_mode(full=10, fast=2) == 10


def test_fast_mode_unset(monkeypatch):
    monkeypatch.delenv(config.FAST_ENV, raising=False)
    assert config.fast_mode() is False


def test_fast_mode_typo_is_an_error(monkeypatch):
    monkeypatch.setenv(config.FAST_ENV, "fats")
    with pytest.raises(ValueError, match="LESSONS_FAST='fats' is not understood"):
        config.fast_mode()
