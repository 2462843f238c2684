"""Shared simulator runs: generated once per test session, small enough to stay fast."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from puhui.sim.config import SimConfig, make_config
from puhui.sim.engine import generate
from puhui.sim.events import read_run
from puhui.sim.schemas import SCHEMAS

SMALL = {"county": "xintai", "people": 4000, "months": 14, "seed": 11}


@pytest.fixture(scope="session")
def small_config() -> SimConfig:
    return make_config(**SMALL)


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory, small_config: SimConfig) -> Path:
    out = tmp_path_factory.mktemp("sim") / "xintai"
    generate(small_config, out)
    return out


@pytest.fixture(scope="session")
def small_tables(small_run: Path) -> dict[str, pa.Table]:
    return read_run(small_run, tuple(SCHEMAS))
