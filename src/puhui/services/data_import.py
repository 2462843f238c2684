"""Importing partner files 数据导入: one file, one batch, one transaction.

:class:`DataImport` reads a file (``data.files``), validates it whole (``data.validate``; any
problem → :class:`~puhui.data.report.ImportRejected`, nothing stored), replaces identity numbers
by person keys (``data.identity``), applies the partner's source agreement and people's
consents (``data.consent``), compares with facts already stored, and writes the batch, new
people (identity numbers encrypted) and the facts in one transaction.

Outcomes, all counted in the batch and the result — never silent:

- ``rows_duplicate``: exact duplicate records in the file, dropped;
- ``rows_already_stored``: facts already stored with identical values (re-deliveries);
- ``rows_no_consent``: people the source agreement does not cover and who have not consented;
- ``rows_unknown_person``: records naming a ``user_id`` / ``shop_id`` / ``line_id`` /
  ``draw_id`` with no stored parent record (the parent file not imported yet, or its record
  skipped for lack of consent).

A stored fact with the same natural key but different values is ``FACT_CONFLICT`` (the file is
rejected: a correction of history is the partner's to explain, not ours to overwrite).
Re-importing a file (same SHA-256) whose last batch was ``complete`` does nothing; after a
``partial`` batch it stores whatever has become storable since (e.g. after consents).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from puhui.data import consent as consent_rules
from puhui.data.files import find_file, read_file, sha256
from puhui.data.identity import PersonKeyer, Vault, mask
from puhui.data.report import ErrorReport, ImportRejected, Problem
from puhui.data.sources import SOURCES, Partner, Source, get_source
from puhui.data.validate import CleanFile, show, validate_frame
from puhui.errors import Conflict, NotFound, ValidationError
from puhui.store import consent as consent_store
from puhui.store import facts
from puhui.store.db import Database

log = logging.getLogger("puhui.data")


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What one import did. ``status``: complete, partial, unchanged (nothing new) or missing."""

    source: str
    file_name: str
    file_sha256: str
    status: str
    batch_id: int | None = None
    rows_in_file: int = 0
    rows_stored: int = 0
    rows_duplicate: int = 0
    rows_already_stored: int = 0
    rows_no_consent: int = 0
    rows_unknown_person: int = 0
    new_persons: int = 0
    ignored_columns: tuple[str, ...] = ()


class DataImport:
    """Imports partner files into one database under the configured keys and agreements."""

    def __init__(
        self,
        db: Database,
        keyer: PersonKeyer,
        vault: Vault,
        agreements: dict[Partner, consent_rules.Agreement],
    ) -> None:
        self.db = db
        self.keyer = keyer
        self.vault = vault
        self.agreements = agreements

    # -- one file ---------------------------------------------------------------------------
    def import_file(self, source_name: str, path: Path, now: datetime) -> ImportResult:
        """Import one partner file as one batch (see the module docstring)."""
        source = get_source(source_name)
        now = now.astimezone(UTC)
        if not path.is_file():
            raise NotFound(
                "FILE_NOT_FOUND",
                f"找不到文件 {path}",
                f"file {path} does not exist",
            )
        digest = sha256(path)
        with self.db.read() as conn:
            earlier = facts.batches_of_file(conn, source.name, digest)
        if earlier and earlier[-1].status == "complete":
            return ImportResult(source.name, path.name, digest, "unchanged", earlier[-1].batch_id)
        clean = validate_frame(read_file(path), source, path.name, now.date())
        frame = clean.frame.copy()
        frame["source_row"] = frame.index + 1
        raw_ids = None
        if source.has_id_number:
            raw_ids = frame["id_number"]
            frame["person_key"] = self.keyer.person_keys(raw_ids)
            frame = frame.drop(columns=["id_number"])
        with facts.import_transaction(self.db) as conn:
            earlier = facts.batches_of_file(conn, source.name, digest)
            if earlier and earlier[-1].status == "complete":
                return ImportResult(
                    source.name, path.name, digest, "unchanged", earlier[-1].batch_id
                )
            result = self._store(conn, source, path, digest, clean, frame, raw_ids, now, earlier)
        # One JSON line per batch: ids and counts only, never a person.
        log.info(json.dumps({"event": "data.import", **asdict(result)}, ensure_ascii=False))
        return result

    def _people(self, conn: Connection, source: Source, frame: pd.DataFrame) -> pd.Series:
        """Person key per row (NA where the row's parent record is not stored)."""
        if source.has_id_number:
            return frame["person_key"]
        if source.link is None:
            return pd.Series(pd.NA, index=frame.index, dtype="str")
        keys = facts.link_keys(conn, source)
        return frame[source.link.column].map(keys).astype("str")

    def _store(
        self,
        conn: Connection,
        source: Source,
        path: Path,
        digest: str,
        clean: CleanFile,
        frame: pd.DataFrame,
        raw_ids: pd.Series | None,
        now: datetime,
        earlier: list[facts.Batch],
    ) -> ImportResult:
        people = self._people(conn, source, frame)
        unknown = people.isna() if source.link is not None else pd.Series(False, frame.index)
        no_consent = pd.Series(False, index=frame.index)
        personal = source.has_id_number or source.link is not None
        if personal and self.agreements[source.partner] is consent_rules.Agreement.CONSENT:
            allowed = consent_rules.storable_people(
                consent_store.consents_frame(conn),
                source,
                now,
            )
            no_consent = ~unknown & ~_member(people, allowed)
        candidates = frame[~unknown & ~no_consent]
        already = self._already_stored(conn, source, candidates, path.name)
        to_store = candidates[~already]
        if to_store.empty and earlier:
            return ImportResult(source.name, path.name, digest, "unchanged", earlier[-1].batch_id)
        complete = not bool(unknown.any() or no_consent.any())
        batch_id = facts.add_batch(
            conn,
            {
                "source": source.name,
                "file_name": path.name[:255],
                "file_sha256": digest,
                "rows_in_file": clean.rows_in_file,
                "rows_stored": len(to_store),
                "rows_duplicate": clean.duplicate_rows,
                "rows_already_stored": int(already.sum()),
                "rows_no_consent": int(no_consent.sum()),
                "rows_unknown_person": int(unknown.sum()),
                "status": "complete" if complete else "partial",
                "imported_at": now,
            },
        )
        new_persons = 0
        if raw_ids is not None:
            new_persons = self._register(conn, to_store, raw_ids, batch_id, now)
        stored = to_store[["source_row", *source.stored_columns]].copy()
        stored.insert(0, "batch_id", batch_id)
        facts.insert_facts(conn, source, stored)
        return ImportResult(
            source=source.name,
            file_name=path.name,
            file_sha256=digest,
            status="complete" if complete else "partial",
            batch_id=batch_id,
            rows_in_file=clean.rows_in_file,
            rows_stored=len(to_store),
            rows_duplicate=clean.duplicate_rows,
            rows_already_stored=int(already.sum()),
            rows_no_consent=int(no_consent.sum()),
            rows_unknown_person=int(unknown.sum()),
            new_persons=new_persons,
            ignored_columns=clean.ignored_columns,
        )

    def _already_stored(
        self, conn: Connection, source: Source, frame: pd.DataFrame, file_name: str
    ) -> pd.Series:
        """Rows whose natural key is stored already: identical → True; different → rejected."""
        if frame.empty or not facts.has_facts(conn, source):
            return pd.Series(False, index=frame.index)
        stored = facts.stored_facts(conn, source)
        key = list(source.stored_key)
        probe = frame[list(source.stored_columns)].reset_index(names="_index")
        matched = probe.merge(stored, on=key, how="inner", suffixes=("", "_stored"))
        if matched.empty:
            return pd.Series(False, index=frame.index)
        others = [c for c in source.stored_columns if c not in key]
        differs = pd.Series(False, index=matched.index)
        for column in others:
            ours, theirs = matched[column], matched[f"{column}_stored"]
            both_missing = ours.isna() & theirs.isna()
            same = ours.astype(object).eq(theirs.astype(object)) | both_missing
            differs |= ~same.fillna(False).astype(bool)
        if differs.any():
            raise ImportRejected(_conflicts(file_name, source, matched[differs], key))
        return pd.Series(frame.index.isin(matched["_index"]), index=frame.index)

    def _register(
        self,
        conn: Connection,
        stored: pd.DataFrame,
        raw_ids: pd.Series,
        batch_id: int,
        now: datetime,
    ) -> int:
        """Register the people of the stored rows not yet in the registry (numbers encrypted)."""
        known = facts.known_persons(conn)
        firsts = stored.drop_duplicates("person_key")
        new = firsts[~_member(firsts["person_key"], known)]
        if new.empty:
            return 0
        numbers = raw_ids.loc[new.index]
        keys = new["person_key"]
        facts.add_persons(
            conn,
            pd.DataFrame(
                {
                    "person_key": keys.to_numpy(),
                    "id_encrypted": [
                        self.vault.encrypt(n, person_key=k)
                        for n, k in zip(numbers, keys, strict=True)
                    ],
                    "id_masked": [mask(n) for n in numbers],
                    "first_batch_id": batch_id,
                    "registered_at": pd.Timestamp(now),
                }
            ),
        )
        return len(new)

    # -- a folder of files ------------------------------------------------------------------
    def import_run(
        self,
        root: Path,
        now: datetime,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> list[ImportResult]:
        """Import every partner file under ``root`` (``<partner>/<table>.<ext>``, the
        simulator's layout) in dependency order; files absent are reported as ``missing``.
        Each file is its own batch: a rejected file stops the run, earlier files stay."""
        if not root.is_dir():
            raise NotFound("RUN_NOT_FOUND", f"找不到目录 {root}", f"folder {root} does not exist")
        results = []
        for done, source in enumerate(SOURCES):
            if progress is not None:
                progress(source.name, done, len(SOURCES))
            path = find_file(root, source.name)
            if path is None:
                results.append(ImportResult(source.name, "", "", "missing"))
                continue
            results.append(self.import_file(source.name, path, now))
        if all(r.status == "missing" for r in results):
            raise ValidationError(
                "RUN_EMPTY",
                f"目录 {root} 中没有任何合作方数据文件（应为 <合作方>/<表>.parquet|csv|jsonl）",
                f"{root} holds no partner files (expected <partner>/<table>.parquet|csv|jsonl)",
            )
        self.db.analyze()  # millions of rows just arrived: plan the next queries on them
        if progress is not None:
            progress("done", len(SOURCES), len(SOURCES))
        return results


def _member(values: pd.Series, allowed: set[str] | pd.Series) -> pd.Series:
    """``values.isin(allowed)`` through Arrow: pandas walks a set of Arrow strings in Python."""
    array = pa.array(values)
    listed = allowed if isinstance(allowed, pd.Series) else list(allowed)
    found = pc.is_in(array, value_set=pa.array(listed, type=array.type))
    return pd.Series(np.asarray(found.fill_null(False)), index=values.index)


def _conflicts(file_name: str, source: Source, rows: pd.DataFrame, key: list[str]) -> ErrorReport:
    problems = []
    for _, row in rows.iterrows():
        shown = ", ".join(
            f"person={str(row[k])[:12]}…"
            if k == "person_key"
            else f"{k}={show(row[k], source.column(k))}"
            for k in key
        )
        problems.append(
            Problem(
                int(row["_index"]) + 1,
                ",".join(source.natural_key),
                "FACT_CONFLICT",
                f"a fact with the same key ({shown}) is already stored with different values",
                f"已存储键值相同（{shown}）但内容不同的数据",
            )
        )
    return ErrorReport.build(file_name, source.name, problems)


def check_keys(db: Database, keyer: PersonKeyer, vault: Vault, limit: int | None = None) -> int:
    """Decrypt registered identity numbers and re-derive their person keys: proves the
    configured encryption key and HMAC key are the ones the data was stored with. Returns
    how many were checked; ``ENCRYPTION_KEY_MISMATCH`` / ``DECRYPTION_FAILED`` /
    ``ID_HASH_KEY_MISMATCH`` otherwise. Prints nothing and returns no number."""
    with db.read() as conn:
        rows = facts.encrypted_ids(conn, limit)
    wrong = sum(
        keyer.person_key(vault.decrypt(token, person_key=key)) != key for key, token in rows
    )
    if wrong:
        raise Conflict(
            "ID_HASH_KEY_MISMATCH",
            f"{wrong} 个人员标识与 PUHUI_ID_HASH_KEY 不符：人员标识是用另一把密钥生成的",
            f"{wrong} person key(s) do not match PUHUI_ID_HASH_KEY: the people were keyed "
            "under another key",
        )
    return len(rows)
