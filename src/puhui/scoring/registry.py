"""Model registry 模型库 on the filesystem: versions, manifests, champion/challenger.

Layout under the root (default ``<data_dir>/models``)::

    <name>/index.json              versions (manifest sha256, created_at), champion, challenger,
                                   earlier champions, and the event log
                                   (register / promote / rollback)
    <name>/v0001/manifest.json     sha256 of every other file of the version
    <name>/v0001/model.txt | scorecard.json, encoder.json, calibration.json, estimator.json,
                 scoring.json, config.yaml, metadata.json, report.json, report.html
                 (a blend also holds its members' files as lightgbm_* and scorecard_*)

Invariants
- Artifacts are text; nothing is pickled. A version directory is written in full under a
  temporary name and renamed into place, then the index is replaced atomically: a crash never
  leaves a half-registered version in the index.
- Loading recomputes the sha256 of the manifest (against the index) and of every file (against
  the manifest); any mismatch, missing or unexpected file is refused (``MODEL_TAMPERED``).
- The first registered version becomes champion; later ones become challenger until promoted.
  Each promotion pushes the replaced champion on a stack; ``rollback`` pops it back, so repeated
  rollbacks walk back through earlier champions.
- Timestamps (``created_at``, event times) are passed in by the caller.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from puhui.errors import Conflict, NotFound, ValidationError
from puhui.scoring.base import CreditModel, dump_json
from puhui.scoring.blend import BlendCreditModel
from puhui.scoring.gbm import GBMCreditModel
from puhui.scoring.scorecard import ScorecardCreditModel
from puhui.scoring.scorer import Scorer, ScoringSpec

MANIFEST = "manifest.json"
INDEX = "index.json"
_VERSION = re.compile(r"^v(\d{4,})$")
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
FAMILIES: dict[str, type[GBMCreditModel | ScorecardCreditModel | BlendCreditModel]] = {
    "lightgbm": GBMCreditModel,
    "scorecard": ScorecardCreditModel,
    "blend": BlendCreditModel,
}


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _tampered(name: str, version: str, detail_zh: str, detail_en: str) -> Conflict:
    return Conflict(
        "MODEL_TAMPERED",
        f"模型 {name}:{version} 的文件校验失败（{detail_zh}），拒绝加载",
        f"model {name}:{version} failed its integrity check ({detail_en}); refusing to load it",
        name=name,
        version=version,
    )


@dataclass(frozen=True, slots=True)
class VersionInfo:
    name: str
    version: str
    family: str
    created_at: str
    role: str  # "champion", "challenger" or ""
    metrics: Mapping[str, Any]


class ModelRegistry:
    """Versioned model artifacts under ``root``; see the module docstring."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # -- index -------------------------------------------------------------------------------
    def _check_name(self, name: str) -> None:
        if not _NAME.match(name):
            raise ValidationError(
                "MODEL_NAME_INVALID",
                f"模型名只能包含字母、数字、- 和 _；收到 {name!r}",
                f"model `name` must be letters, digits, '-' or '_'; got {name!r}",
            )

    def _index_path(self, name: str) -> Path:
        self._check_name(name)
        return self.root / name / INDEX

    def _read_index(self, name: str) -> dict[str, Any]:
        path = self._index_path(name)
        if not path.exists():
            raise NotFound(
                "MODEL_NOT_FOUND",
                f"模型库中没有名为 {name} 的模型",
                f"no model named {name!r} in the registry at {self.root}",
            )
        return json.loads(path.read_text("utf-8"))

    def _write_index(self, name: str, index: Mapping[str, Any]) -> None:
        path = self._index_path(name)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(dump_json(index), "utf-8")
        os.replace(tmp, path)

    def names(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.parent.name for p in self.root.glob(f"*/{INDEX}"))

    def _resolve(self, name: str, version: str | None, index: Mapping[str, Any]) -> str:
        if version is None:
            version = index.get("champion")
            if version is None:
                raise NotFound(
                    "MODEL_NO_CHAMPION",
                    f"模型 {name} 还没有冠军版本",
                    f"model {name!r} has no champion version yet",
                )
        if version not in index["versions"]:
            raise NotFound(
                "MODEL_VERSION_NOT_FOUND",
                f"模型 {name} 没有版本 {version}",
                f"model {name!r} has no version {version!r}; versions are "
                f"{sorted(index['versions'])}",
            )
        return version

    # -- write -------------------------------------------------------------------------------
    def register(self, name: str, files: Mapping[str, str], created_at: datetime) -> str:
        """Store a new version (all ``files`` are text) and return its version id."""
        self._check_name(name)
        if MANIFEST in files or INDEX in files:
            raise ValidationError(
                "MODEL_FILES_INVALID",
                "模型文件名与清单冲突",
                f"artifact names must not include {MANIFEST} or {INDEX}",
            )
        model_dir = self.root / name
        model_dir.mkdir(parents=True, exist_ok=True)
        index_path = model_dir / INDEX
        index: dict[str, Any] = (
            json.loads(index_path.read_text("utf-8"))
            if index_path.exists()
            else {
                "name": name,
                "versions": {},
                "champion": None,
                "challenger": None,
                "previous_champions": [],
                "events": [],
            }
        )
        numbers = [int(m.group(1)) for v in index["versions"] if (m := _VERSION.match(v))]
        version = f"v{max(numbers, default=0) + 1:04d}"
        staging = model_dir / f".{version}.tmp"
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir()
        digests = {}
        for filename, text in sorted(files.items()):
            (staging / filename).write_text(text, "utf-8", newline="\n")
            digests[filename] = sha256_text(text)
        manifest = dump_json({"name": name, "version": version, "files": digests})
        (staging / MANIFEST).write_text(manifest, "utf-8", newline="\n")
        os.replace(staging, model_dir / version)
        family = json.loads(files["estimator.json"])["family"]
        index["versions"][version] = {
            "manifest_sha256": sha256_text(manifest),
            "created_at": created_at.isoformat(),
            "family": family,
        }
        role = "champion" if index["champion"] is None else "challenger"
        index[role] = version
        index["events"].append(
            {"at": created_at.isoformat(), "action": "register", "version": version, "role": role}
        )
        self._write_index(name, index)
        return version

    def promote(self, name: str, version: str, at: datetime) -> str | None:
        """Make ``version`` the champion; returns the champion it replaced."""
        index = self._read_index(name)
        version = self._resolve(name, version, index)
        self.read_files(name, version)  # never promote a tampered version
        previous = index["champion"]
        if previous == version:
            raise Conflict(
                "MODEL_ALREADY_CHAMPION",
                f"{name}:{version} 已经是冠军版本",
                f"{name}:{version} is already the champion",
            )
        index["champion"] = version
        if previous is not None:
            index["previous_champions"].append(previous)
        if index.get("challenger") == version:
            index["challenger"] = None
        index["events"].append(
            {"at": at.isoformat(), "action": "promote", "version": version, "replaced": previous}
        )
        self._write_index(name, index)
        return previous

    def rollback(self, name: str, at: datetime) -> str:
        """Restore the champion that the latest promotion replaced; returns it."""
        index = self._read_index(name)
        current = index["champion"]
        if not index["previous_champions"]:
            raise Conflict(
                "MODEL_NO_PREVIOUS_CHAMPION",
                f"模型 {name} 没有可回滚的上一任冠军",
                f"model {name!r} has no earlier champion to roll back to",
            )
        previous = index["previous_champions"][-1]
        self.read_files(name, previous)  # never restore a tampered version
        index["previous_champions"].pop()
        index["champion"] = previous
        index["challenger"] = current
        index["events"].append(
            {"at": at.isoformat(), "action": "rollback", "version": previous, "replaced": current}
        )
        self._write_index(name, index)
        return previous

    # -- read --------------------------------------------------------------------------------
    def list_versions(self, name: str | None = None) -> list[VersionInfo]:
        out = []
        for model_name in [name] if name else self.names():
            index = self._read_index(model_name)
            for version, entry in sorted(index["versions"].items()):
                role = (
                    "champion"
                    if index["champion"] == version
                    else "challenger"
                    if index.get("challenger") == version
                    else ""
                )
                metrics_path = self.root / model_name / version / "metadata.json"
                metrics = (
                    json.loads(metrics_path.read_text("utf-8")).get("headline", {})
                    if metrics_path.exists()
                    else {}
                )
                out.append(
                    VersionInfo(
                        model_name, version, entry["family"], entry["created_at"], role, metrics
                    )
                )
        return out

    def version_dir(self, name: str, version: str | None = None) -> tuple[str, Path]:
        index = self._read_index(name)
        version = self._resolve(name, version, index)
        return version, self.root / name / version

    def read_files(self, name: str, version: str | None = None) -> dict[str, str]:
        """All artifact files of a version, after verifying every hash."""
        index = self._read_index(name)
        version = self._resolve(name, version, index)
        directory = self.root / name / version
        manifest_path = directory / MANIFEST
        if not manifest_path.exists():
            raise _tampered(name, version, "缺少清单文件", f"{MANIFEST} is missing")
        manifest_text = manifest_path.read_text("utf-8")
        if sha256_text(manifest_text) != index["versions"][version]["manifest_sha256"]:
            raise _tampered(name, version, "清单被修改", f"{MANIFEST} does not match the index")
        expected = json.loads(manifest_text)["files"]
        present = {p.name for p in directory.iterdir()} - {MANIFEST}
        for extra in sorted(present - set(expected)):
            raise _tampered(name, version, f"多出文件 {extra}", f"unexpected file {extra}")
        files = {}
        for filename, digest in sorted(expected.items()):
            path = directory / filename
            if not path.exists():
                raise _tampered(name, version, f"缺少文件 {filename}", f"{filename} is missing")
            text = path.read_bytes().decode("utf-8", errors="replace")
            if sha256_text(text) != digest:
                raise _tampered(
                    name, version, f"{filename} 的 sha256 不符", f"sha256 of {filename} differs"
                )
            files[filename] = text
        return files

    def load_model(
        self, name: str, version: str | None = None
    ) -> tuple[str, CreditModel, dict[str, str]]:
        """``("name:vNNNN", model, files)`` for a verified version (the champion by default)."""
        version, _ = self.version_dir(name, version)
        files = self.read_files(name, version)
        family = json.loads(files["estimator.json"])["family"]
        return f"{name}:{version}", FAMILIES[family].from_files(files), files

    def load_scorer(self, name: str, version: str | None = None) -> Scorer:
        """A :class:`Scorer` for a verified version (the champion by default)."""
        version_id, model, files = self.load_model(name, version)
        return Scorer(model, ScoringSpec.from_json(files["scoring.json"]), version_id)
