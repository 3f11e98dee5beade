"""The demo's data, shared by the end-to-end tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli import drifthound


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> Path:
    """`drifthound demo` written once; tests copy what they change."""
    directory = tmp_path_factory.mktemp("demo-data")
    written = drifthound("demo", "--dir", str(directory))
    assert written.returncode == 0, written.stderr
    return directory
