"""Settings 配置, read from the environment (``PUHUI_*``) or a ``.env`` file.

One place for every knob; nothing else reads the environment. Outside development the
settings refuse to load with a default secret (a real deployment must set its own keys).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from puhui.data.identity import PersonKeyer, Vault, parse_encryption_key, parse_hash_key
from puhui.data.sources import DEFAULT_AGREEMENTS
from puhui.loans.policy import ServicingPolicy

_DEV_SECRET = "puhui-development-secret-do-not-use"
#: Development keys for the person key (HMAC) and the identity-number encryption (AES-GCM);
#: refused outside development like ``_DEV_SECRET`` (docs/data-import.md, key management).
_DEV_ID_HASH_KEY = "puhui-development-person-key-do-not-use-in-production"
_DEV_ENCRYPTION_KEY = "DvM4t17Hu9Rufn3NhzARkTlX2CBW4tbrnx6lZTYsaME="


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PUHUI_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is SQLite in data_dir (postgresql+psycopg://… for PG)",
    )
    catalogue_path: Path | None = None
    secret_key: str = _DEV_SECRET
    allocation_order: str = "penalty,interest,principal"
    write_off_after_dpd: int = 360
    eod_chunk_loans: int = Field(default=100_000, ge=1000, le=1_000_000)
    #: HMAC key of the person key 人员标识; changing it re-keys every stored person.
    id_hash_key: str = _DEV_ID_HASH_KEY
    #: AES-256 key (32 bytes, base64) that encrypts identity numbers at rest.
    encryption_key: str = _DEV_ENCRYPTION_KEY
    #: Per partner: ``agreement`` (facts stored for everyone under the partner agreement) or
    #: ``consent`` (only for people whose consent covers the source). JSON in the environment.
    source_agreements: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_AGREEMENTS))
    #: The county whose household register is imported (the lender's service area).
    county_name: str = "新泰市"
    #: The 310 decision's policy file (default: the shipped ``decision/policy.yaml``).
    policy_path: Path | None = None
    #: Model registry directory (default ``<data_dir>/models``) and the model the 310 decision
    #: scores with (its champion version).
    models_dir: Path | None = None
    model_name: str = "county"
    #: Threads per server process for blocking work (endpoints, database calls). Few is
    #: faster: request threads contend for one GIL, and past a handful a thread holding a
    #: database transaction waits behind the others (bench/decision.py, docs/benchmarks.md).
    request_threads: int = Field(default=4, ge=1, le=256)
    # -- risk monitoring and reminders (docs/risk.md) --
    #: Local time zone of the borrowers: quiet hours and reminder times are local.
    timezone: str = "Asia/Shanghai"
    risk_rules_path: Path | None = None
    risk_policy_path: Path | None = None
    #: Anomaly model JSON (``puhui risk train-model``); without it the anomaly rule is off.
    risk_model_path: Path | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "普惠 <noreply@puhui.local>"
    mail_domain: str = "puhui.local"
    #: SMS gateway endpoint (POST JSON {to, text, reference}); without it SMS waits unsent.
    sms_gateway_url: str | None = None
    sms_gateway_token: str | None = None
    outbox_lease_seconds: int = Field(default=300, ge=10, le=86_400)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env == "production":
            defaults = [
                name
                for name, value, default in (
                    ("PUHUI_SECRET_KEY", self.secret_key, _DEV_SECRET),
                    ("PUHUI_ID_HASH_KEY", self.id_hash_key, _DEV_ID_HASH_KEY),
                    ("PUHUI_ENCRYPTION_KEY", self.encryption_key, _DEV_ENCRYPTION_KEY),
                )
                if value == default
            ]
            if defaults:
                names = ", ".join(defaults)
                raise ValueError(
                    f"{names} must be set outside development (生产环境必须设置 {names})"
                )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'puhui.db').resolve()}"

    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    def identity_keys(self) -> tuple[PersonKeyer, Vault]:
        """The person-key hasher and the identity-number vault of these settings."""
        return (
            PersonKeyer(parse_hash_key(self.id_hash_key)),
            Vault(parse_encryption_key(self.encryption_key)),
        )

    def servicing_policy(self) -> ServicingPolicy:
        return ServicingPolicy(
            allocation_order=ServicingPolicy.parse_order(self.allocation_order),
            write_off_after_dpd=self.write_off_after_dpd,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings (cached; tests build their own ``Settings``)."""
    return Settings()
