"""Registry: versions, champion/challenger, rollback; tampered artifacts are refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from puhui.errors import Conflict, NotFound
from puhui.scoring.gbm import GBMCreditModel
from puhui.scoring.reasons import ReasonWriter
from puhui.scoring.registry import ModelRegistry
from puhui.scoring.scale import ScoreScale
from puhui.scoring.scorer import ScoringSpec

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SPEC = ScoringSpec(ScoreScale(), ReasonWriter({}, {}))


def _files(model: GBMCreditModel) -> dict[str, str]:
    return {
        **model.to_files(),
        "scoring.json": SPEC.to_json(),
        "metadata.json": '{"headline": {"test_auc": 0.8}}\n',
    }


@pytest.fixture
def registry(tmp_path: Path, gbm: GBMCreditModel) -> ModelRegistry:
    reg = ModelRegistry(tmp_path / "models")
    reg.register("demo", _files(gbm), created_at=T0)
    reg.register("demo", _files(gbm), created_at=T1)
    return reg


def test_first_version_is_champion_and_the_next_is_challenger(registry: ModelRegistry) -> None:
    roles = {v.version: v.role for v in registry.list_versions("demo")}
    assert roles == {"v0001": "champion", "v0002": "challenger"}
    info = registry.list_versions()[0]
    assert info.created_at == T0.isoformat()
    assert info.metrics == {"test_auc": 0.8}


def test_promote_then_rollback_restores_the_previous_champion(registry: ModelRegistry) -> None:
    assert registry.promote("demo", "v0002", at=T1) == "v0001"
    assert registry.load_scorer("demo").model_version == "demo:v0002"
    assert registry.rollback("demo", at=T1) == "v0001"
    assert registry.load_scorer("demo").model_version == "demo:v0001"
    with pytest.raises(Conflict) as err:
        registry.rollback("demo", at=T1)
    assert err.value.code == "MODEL_NO_PREVIOUS_CHAMPION"


def test_loaded_scorer_scores(registry: ModelRegistry) -> None:
    scorer = registry.load_scorer("demo", "v0002")
    result = scorer.score_one({"income": 9000.0, "late": 0.0, "age": 40.0, "town": "东村"})
    assert result.model_version == "demo:v0002"


@pytest.mark.parametrize("victim", ["model.txt", "calibration.json", "scoring.json"])
def test_a_tampered_artifact_is_refused(registry: ModelRegistry, victim: str) -> None:
    path = registry.root / "demo" / "v0001" / victim
    path.write_text(path.read_text("utf-8").replace(":", ": ", 1), "utf-8")
    with pytest.raises(Conflict) as err:
        registry.load_scorer("demo", "v0001")
    assert err.value.code == "MODEL_TAMPERED"
    assert victim in err.value.message_en


def test_a_rewritten_manifest_or_an_added_file_is_refused(registry: ModelRegistry) -> None:
    manifest = registry.root / "demo" / "v0001" / "manifest.json"
    manifest.write_text(manifest.read_text("utf-8") + " ", "utf-8")
    with pytest.raises(Conflict) as err:
        registry.read_files("demo", "v0001")
    assert err.value.code == "MODEL_TAMPERED"
    (registry.root / "demo" / "v0002" / "extra.pkl").write_bytes(b"\x80\x04")
    with pytest.raises(Conflict) as err:
        registry.read_files("demo", "v0002")
    assert "extra.pkl" in err.value.message_en


def test_tampered_versions_are_never_promoted(registry: ModelRegistry) -> None:
    path = registry.root / "demo" / "v0002" / "model.txt"
    path.write_text(path.read_text("utf-8") + "\n", "utf-8")
    with pytest.raises(Conflict):
        registry.promote("demo", "v0002", at=T1)
    assert registry.load_scorer("demo").model_version == "demo:v0001"


def test_unknown_models_and_versions_are_not_found(registry: ModelRegistry) -> None:
    with pytest.raises(NotFound) as err:
        registry.load_scorer("nope")
    assert err.value.code == "MODEL_NOT_FOUND"
    with pytest.raises(NotFound) as err:
        registry.load_scorer("demo", "v0009")
    assert err.value.code == "MODEL_VERSION_NOT_FOUND"


def test_nothing_is_pickled(registry: ModelRegistry) -> None:
    for path in (registry.root / "demo" / "v0001").iterdir():
        path.read_text("utf-8")  # every artifact is text
        assert path.suffix in {".txt", ".json", ".yaml", ".html"}
