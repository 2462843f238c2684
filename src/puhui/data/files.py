"""Reading a partner file 读取文件: CSV, Parquet or JSON lines, chosen by the file's extension.

Owns the bytes-to-frame step and the file's fingerprint. Values are read as delivered (CSV and
JSON lines as text, Parquet with its own types); ``data.validate`` coerces them to the contract.

Invariants
- The SHA-256 is of the file's bytes, so the same delivery under another name is recognised
  as the same file (idempotent re-import).
- A frame's index is ``0 … n-1`` in file order: record number = index + 1.
- Unreadable or unknown files raise ``FILE_UNREADABLE`` / ``FILE_FORMAT`` naming the file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from puhui.errors import ValidationError
from puhui.logs import redact

#: Extensions → reader. ``.gz`` CSV and JSON lines are read through pandas' decompression.
FORMATS: dict[str, str] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".csv.gz": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".jsonl.gz": "jsonl",
}
_CHUNK_BYTES = 1 << 20


def file_format(path: Path) -> str:
    """``parquet``, ``csv`` or ``jsonl`` from the file name (longest matching extension)."""
    name = path.name.lower()
    for extension in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(extension):
            return FORMATS[extension]
    raise ValidationError(
        "FILE_FORMAT",
        f"无法识别文件格式：{path.name}（支持 .csv、.parquet、.jsonl）",
        f"cannot tell the format of {path.name}: use .csv, .parquet or .jsonl (JSON lines)",
    )


def sha256(path: Path) -> str:
    """Hex SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def read_file(path: Path) -> pd.DataFrame:
    """The file's records as a frame (see the module docstring)."""
    kind = file_format(path)
    try:
        if kind == "parquet":
            frame = pq.read_table(path).to_pandas()
        elif kind == "csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        else:
            frame = pd.read_json(path, lines=True, dtype=False, convert_axes=False)
    except (OSError, ValueError, pa.ArrowException, UnicodeDecodeError) as exc:
        raise ValidationError(
            "FILE_UNREADABLE",
            f"无法读取文件 {path.name}（{kind}）：{type(exc).__name__}",
            f"cannot read {path.name} as {kind}: {type(exc).__name__}: {redact(str(exc))[:200]}",
        ) from None
    return frame.reset_index(drop=True)


def find_file(root: Path, name: str) -> Path | None:
    """The file of source ``name`` under ``root`` (``<partner>/<table>.<ext>``, the simulator's
    layout), whatever its supported extension; Parquet first."""
    for extension in FORMATS:
        path = root / f"{name}{extension}"
        if path.is_file():
            return path
    return None
