"""Reads and writes of the versioned directory (SQLAlchemy Core over the worker's session).

An entry row is valid for versions [valid_from, valid_to); a new version closes the rows it changes or removes
and inserts the new data, so any version's document is one range query.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..domain.directory import Doc, empty_doc
from .models import directory_entries as entries
from .models import directory_versions as versions

LOCK_ID = 0x524F5554  # "ROUT": one directory change at a time (transaction-scoped advisory lock)


def lock_directory(uow) -> None:
    """Serialise directory changes until the transaction ends."""
    uow.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_ID)))


def effective_version(uow, now: datetime):
    """The version in force at `now` (latest with effective_from ≤ now), or None."""
    return uow.execute(
        sa.select(versions)
        .where(versions.c.effective_from <= now, versions.c.op != "legacy")
        .order_by(versions.c.version.desc())
        .limit(1)
    ).first()


def latest_version(uow):
    """The newest version, in force or pending (legacy versions included: numbers never repeat)."""
    return uow.execute(sa.select(versions).order_by(versions.c.version.desc()).limit(1)).first()


def version_row(uow, version: int):
    """One version row, or None."""
    return uow.execute(sa.select(versions).where(versions.c.version == version)).first()


def list_versions(uow, limit: int = 200) -> list:
    """Newest first."""
    return uow.execute(sa.select(versions).order_by(versions.c.version.desc()).limit(limit)).all()


def pending_versions(uow, now: datetime) -> list[int]:
    """Versions not in force yet."""
    return list(
        uow.execute(
            sa.select(versions.c.version).where(versions.c.effective_from > now).order_by(versions.c.version)
        ).scalars()
    )


def due_to_apply(uow, now: datetime) -> list:
    """Versions in force whose effects on open cases were not carried out yet (locked, skipping busy ones)."""
    return uow.execute(
        sa.select(versions)
        .where(versions.c.effective_from <= now, versions.c.applied_at.is_(None))
        .order_by(versions.c.version)
        .with_for_update(skip_locked=True)
    ).all()


def load_doc(uow, version: int) -> Doc:
    """The document of one version (empty for a legacy version)."""
    doc = empty_doc()
    rows = uow.execute(
        sa.select(entries.c.kind, entries.c.key, entries.c.data).where(
            entries.c.valid_from <= version,
            sa.or_(entries.c.valid_to.is_(None), entries.c.valid_to > version),
        )
    )
    for kind, key, data in rows:
        doc.setdefault(kind, {})[key] = data
    return doc


def changed_entries(old: Mapping, new: Mapping) -> tuple[list[tuple[str, str]], list[tuple[str, str, Any]]]:
    """(entries to close, entries to insert) turning `old` into `new`."""
    close, insert = [], []
    for kind in set(old) | set(new):
        before, after = old.get(kind, {}), new.get(kind, {})
        for key in before:
            if key not in after or after[key] != before[key]:
                close.append((kind, key))
        for key, data in after.items():
            if key not in before or before[key] != data:
                insert.append((kind, key, data))
    return close, insert


def write_version(uow, version: int, old: Mapping, new: Mapping, **row: Any) -> int:
    """Record version `version` (must follow the latest) as `new`; returns how many entries changed."""
    close, insert = changed_entries(old, new)
    touched = len(set(close) | {(kind, key) for kind, key, _ in insert})
    uow.execute(sa.insert(versions).values(version=version, changed_entries=touched, **row))
    for kind, key in close:
        uow.execute(
            sa.update(entries)
            .where(entries.c.kind == kind, entries.c.key == key, entries.c.valid_to.is_(None))
            .values(valid_to=version)
        )
    if insert:
        uow.execute(
            sa.insert(entries), [dict(kind=k, key=key, data=d, valid_from=version) for k, key, d in insert]
        )
    return touched


def mark_applied(uow, version: int, at: datetime, rerouted: int = 0, unroutable: int = 0) -> None:
    """Record that a version's effects on open cases were carried out."""
    uow.execute(
        sa.update(versions)
        .where(versions.c.version == version)
        .values(applied_at=at, rerouted=rerouted, unroutable=unroutable)
    )
