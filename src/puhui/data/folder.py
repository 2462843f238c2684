"""A folder of partner files as facts in memory 离线读取: validate and key every file.

The pure twin of ``services.data_import`` for analysis and tests: the same validation and the
same person keys, but nothing is stored and no consent is applied. Returns each source's facts
in the stored columns (``person_key`` in place of ``id_number``), ready for
``features.build.compute_features``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from puhui.data.files import find_file, read_file
from puhui.data.identity import PersonKeyer
from puhui.data.sources import SOURCES
from puhui.data.validate import validate_frame


def facts_from_folder(root: Path, keyer: PersonKeyer, today: date) -> dict[str, pd.DataFrame]:
    """Facts of every source file found under ``root`` (absent files are left out)."""
    facts = {}
    for source in SOURCES:
        path = find_file(root, source.name)
        if path is None:
            continue
        frame = validate_frame(read_file(path), source, path.name, today).frame
        if source.has_id_number:
            frame = frame.assign(id_number=keyer.person_keys(frame["id_number"]))
            frame = frame.rename(columns={"id_number": "person_key"})
        facts[source.name] = frame[list(source.stored_columns)].reset_index(drop=True)
    return facts
