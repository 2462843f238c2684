from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from puhui.store.db import Database
from tests.county import generate_tiny, import_with_consent


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_tiny(tmp_path_factory.mktemp("county") / "xintai")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def county_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tiny_run: Path
) -> Iterator[Database]:
    """A database holding the tiny county, everyone consenting (read-only tests share it)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("county-db") / "puhui.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        server = request.getfixturevalue("pg_server")
        url = server.url(server.create(template=request.getfixturevalue("pg_template")))
    db = Database(url)
    import_with_consent(db, tiny_run)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def registry_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model registry with a champion ``county`` model over the 57 features."""
    from tests.models import train_county_model

    path = tmp_path_factory.mktemp("models")
    train_county_model(path)
    return path
