from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def registry_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model registry with a champion ``county`` model over the 57 features."""
    from tests.models import train_county_model

    path = tmp_path_factory.mktemp("models")
    train_county_model(path)
    return path
