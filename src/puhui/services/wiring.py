"""Wiring 装配: the services of one deployment, built from its settings in one place.

The API, the pages, the CLI and the demo all get their services here, so every shell talks to
the same lending, accounts, consent, feature-store and 310 objects configured the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from puhui.decision import load_policy
from puhui.products import load_catalogue
from puhui.scoring.registry import ModelRegistry
from puhui.services.accounts import Accounts
from puhui.services.applications import Applications
from puhui.services.consents import Consents
from puhui.services.features import FeatureStore
from puhui.services.lending import Lending
from puhui.services.onboarding import Onboarding
from puhui.settings import Settings
from puhui.store.db import Database


@dataclass
class Services:
    """Everything a request handler or command may use; built once per process."""

    settings: Settings
    db: Database
    lending: Lending
    accounts: Accounts
    consents: Consents
    features: FeatureStore
    onboarding: Onboarding
    applications: Applications


def build_services(settings: Settings) -> Services:
    db = Database(settings.resolved_database_url)
    catalogue = load_catalogue(settings.catalogue_path)
    keyer, vault = settings.identity_keys()
    lending = Lending(db, catalogue, settings.servicing_policy())
    accounts = Accounts(db)
    consents = Consents(db, keyer, vault)
    features = FeatureStore(db, keyer)
    return Services(
        settings=settings,
        db=db,
        lending=lending,
        accounts=accounts,
        consents=consents,
        features=features,
        onboarding=Onboarding(db, accounts, consents, settings.county_name),
        applications=Applications(
            db,
            catalogue,
            load_policy(catalogue, settings.policy_path),
            lending,
            features,
            ModelRegistry(settings.resolved_models_dir),
            settings.model_name,
        ),
    )
