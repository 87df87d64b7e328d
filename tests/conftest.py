"""Shared fixtures. Kept small: add fixtures only when several test files need them."""

from __future__ import annotations

import pytest

from studio.data import find_course_data
from studio.data.builtin import builtin_creatures


@pytest.fixture(scope="session")
def course_dir():
    """The real course data folder (pixel_color.txt + colormap.txt); skips when it is absent."""
    folder = find_course_data()
    if folder is None:
        pytest.skip("course data not found: set STUDIO_POKEMON_DIR or put it at ../shared/data/pokemon")
    return folder


@pytest.fixture(scope="session")
def builtin_set():
    """64 built-in creatures: a small, fast, always-available SpriteSet."""
    return builtin_creatures(n=64)


@pytest.fixture()
def isolated_app(qapp, tmp_path, monkeypatch):
    """The app as a test sees it: runs go under tmp_path, every QSettings() writes a throw-away
    file there; the user's runs and settings are never touched. Returns the settings folder."""
    from PySide6.QtCore import QSettings

    monkeypatch.setenv("STUDIO_RUNS_DIR", str(tmp_path / "runs"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    return tmp_path / "settings"
