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


@pytest.fixture
def client(county_db, registry_dir, fast_password_hashing):
    """The app over the tiny county with the champion model, on the 310 business day."""
    from fastapi.testclient import TestClient

    from puhui.api.app import create_app
    from puhui.settings import Settings
    from tests.county import ENCRYPTION_KEY_TEXT, HASH_KEY
    from tests.services.test_applications import BUSINESS_DAY

    with county_db.write() as conn:
        county_db.set_business_date(conn, BUSINESS_DAY)
    settings = Settings(
        database_url=county_db.url,
        env="test",
        models_dir=registry_dir,
        id_hash_key=HASH_KEY.decode(),
        encryption_key=ENCRYPTION_KEY_TEXT,
    )
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client
    app.state.services.db.dispose()
