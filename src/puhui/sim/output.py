"""Where generated tables go: Parquet folders on disk, or memory.

The engine hands each month's rows to a :class:`Sink` as they are produced, so a million
people never sit in memory at once. :class:`ParquetSink` writes one file per table
(``<root>/<partner>/<table>.parquet``) with fixed writer settings and no timestamps, so the same
seed gives byte-identical files. A table that got no rows is still written (empty, with its
schema): an importer can rely on every file of the contract being present.

:func:`publish` makes a run appear atomically: files are written to a sibling folder and renamed
into place only when complete, so a crash never leaves a half-written run under ``out``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from puhui.errors import ValidationError
from puhui.sim.schemas import SCHEMAS

#: Fixed writer settings: part of the byte-identical promise.
PARQUET_OPTIONS: dict[str, object] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
}
ROW_GROUP_ROWS = 1 << 20
MANIFEST = "manifest.json"


class Sink(Protocol):
    """Receives generated tables, possibly in several chunks per name."""

    def write(self, name: str, table: pa.Table) -> None: ...

    def close(self) -> None: ...


class ParquetSink:
    """Appends chunks of each table to ``root/<name>.parquet``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.rows: dict[str, int] = {}
        self._writers: dict[str, pq.ParquetWriter] = {}

    def write(self, name: str, table: pa.Table) -> None:
        writer = self._writers.get(name)
        if writer is None:
            path = self.root / f"{name}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(path, SCHEMAS[name], **PARQUET_OPTIONS)
            self._writers[name] = writer
            self.rows[name] = 0
        if table.num_rows:
            writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
            self.rows[name] += table.num_rows

    def close(self) -> None:
        for name in SCHEMAS:
            if name not in self._writers:
                self.write(name, SCHEMAS[name].empty_table())
        for writer in self._writers.values():
            writer.close()


class MemorySink:
    """Keeps the tables named in ``keep`` (all when ``None``) in memory."""

    def __init__(self, keep: Iterable[str] | None = None) -> None:
        self.keep = None if keep is None else frozenset(keep)
        self._chunks: dict[str, list[pa.Table]] = {}

    def write(self, name: str, table: pa.Table) -> None:
        if self.keep is None or name in self.keep:
            self._chunks.setdefault(name, []).append(table)

    def close(self) -> None:
        """Nothing to flush."""

    def tables(self) -> dict[str, pa.Table]:
        """Every kept table, concatenated (empty tables for names that got no rows)."""
        names = SCHEMAS if self.keep is None else self.keep
        return {
            name: pa.concat_tables(self._chunks[name])
            if name in self._chunks
            else SCHEMAS[name].empty_table()
            for name in names
        }


def write_manifest(root: Path, summary: dict[str, object], rows: dict[str, int]) -> None:
    """``manifest.json``: run settings and every file with its row count (sorted, no clock)."""
    files = {f"{name}.parquet": rows.get(name, 0) for name in sorted(SCHEMAS)}
    document = {"run": summary, "files": files, "money": "integer fen (*_fen columns)"}
    text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (root / MANIFEST).write_text(text, encoding="utf-8")


def check_out(out: Path, *, overwrite: bool) -> None:
    """Refuse to replace a non-empty ``out`` unless ``overwrite`` (``SIM_OUT_EXISTS``)."""
    if out.exists() and not overwrite and (not out.is_dir() or any(out.iterdir())):
        raise ValidationError(
            "SIM_OUT_EXISTS",
            f"输出目录 {out} 已存在且不为空；如需覆盖请加 --overwrite",
            f"output folder {out} exists and is not empty; pass --overwrite to replace it",
        )


def staging_dir(out: Path, *, overwrite: bool) -> Path:
    """A fresh sibling folder to write a run into before :func:`publish` renames it to ``out``."""
    check_out(out, overwrite=overwrite)
    staging = out.with_name(f".{out.name}.partial")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def publish(staging: Path, out: Path) -> None:
    """Move a complete run from ``staging`` to ``out`` (replacing ``out`` if present)."""
    if out.exists():
        if out.is_dir():
            shutil.rmtree(out)
        else:
            out.unlink()
    staging.rename(out)
