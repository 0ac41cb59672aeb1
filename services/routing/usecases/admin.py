"""Administrator use cases: change the directory as a new version, apply versions as they come into force,
read.

A change is validated against the whole directory, stored with its author and effective date, and — when asked
— routes the open cases again (at once, or by the sweep when the version comes into force)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from libs.contracts.directory import (
    ChangeDirectory,
    DirectoryChangeView,
    DirectorySummary,
    HolidayView,
    HolidayYear,
    LoadWardGeometry,
    ReadDirectory,
    RestoreVersion,
)
from libs.contracts.errors import ErrorCode
from libs.platform.errors import ServiceError

from ..domain.changes import apply_change
from ..domain.directory import Directory, cells_of, empty_doc
from ..domain.validation import ChangeRejected, validate
from ..domain.views import version_view
from ..repository import versions as repo
from .flow import Directories, reroute_open_cases

REJECTION_CODES = {
    "not_found": ErrorCode.DIRECTORY_ENTRY_NOT_FOUND,
    "conflict": ErrorCode.DIRECTORY_CONFLICT,
    "invalid": ErrorCode.VALIDATION_FAILED,
}
PARTS = {"units": "unit", "agencies": "agency", "categories": "category", "rules": "rule"}


def rejected(exc: ChangeRejected) -> ServiceError:
    """The service error of a rejected change."""
    return ServiceError(REJECTION_CODES[exc.kind], exc.detail, exc.errors)


def audit_record(cmd: ChangeDirectory) -> dict[str, Any]:
    """What the version row keeps of the command (polygons are in the entries, not repeated here)."""
    change = cmd.change.model_dump(mode="json")
    if isinstance(cmd.change, LoadWardGeometry):
        change["feature_collection"] = {"features": len(cmd.change.feature_collection.get("features") or [])}
    return {"change": change, "meta": cmd.meta.model_dump(mode="json"), "actor_role": cmd.actor.role}


def change_directory(uow, cmd: ChangeDirectory, now: datetime) -> DirectoryChangeView:
    """Apply one change as a new version; may raise ServiceError (validation, conflict, not found)."""
    repo.lock_directory(uow)
    latest = repo.latest_version(uow)
    base = repo.load_doc(uow, latest.version) if latest is not None and latest.op != "legacy" else empty_doc()
    effective = cmd.meta.effective_from or now
    if latest is not None and effective < latest.effective_from:
        raise ServiceError(
            ErrorCode.DIRECTORY_CONFLICT,
            f"version {latest.version} takes effect on "
            f"{latest.effective_from.isoformat()}: a change cannot take effect before it",
            [{"field": "effective_from", "message": "before the latest version", "type": "conflict"}],
        )
    restored = None
    if (
        isinstance(cmd.change, RestoreVersion)
        and (row := repo.version_row(uow, cmd.change.version)) is not None
    ):
        restored = repo.load_doc(uow, row.version)
    try:
        applied = apply_change(base, cmd.change, restored)
        version = (latest.version if latest is not None else 0) + 1
        directory = validate(applied.doc, version, effective)
    except ChangeRejected as exc:
        raise rejected(exc) from None
    close, insert = repo.changed_entries(base, applied.doc)
    if not close and not insert:
        return DirectoryChangeView(
            version=latest.version,
            op=cmd.change.op,
            effective_from=latest.effective_from,
            author=latest.author,
            note="no change: the directory already says this",
            pending=latest.effective_from > now,
            changed_entries=0,
        )
    note = cmd.meta.note or applied.summary
    changed = repo.write_version(
        uow,
        version,
        base,
        applied.doc,
        effective_from=effective,
        author=cmd.actor.sub,
        note=note,
        op=cmd.change.op,
        change=audit_record(cmd),
        reroute_open_cases=cmd.meta.reroute_open_cases,
    )
    rerouted = lost = 0
    if effective <= now:
        if cmd.meta.reroute_open_cases:
            rerouted, lost = reroute_open_cases(uow, directory, now, f"v{version}: {note}")
        repo.mark_applied(uow, version, now, rerouted, lost)
    return DirectoryChangeView(
        version=version,
        op=cmd.change.op,
        effective_from=effective,
        author=cmd.actor.sub,
        note=note,
        pending=effective > now,
        changed_entries=changed,
        rerouted=rerouted,
        unroutable=lost,
    )


def apply_due_versions(uow, directories: Directories, now: datetime) -> list[int]:
    """Carry out versions that came into force since they were written (bulk re-route when asked)."""
    done = []
    for row in repo.due_to_apply(uow, now):
        rerouted = lost = 0
        if row.reroute_open_cases and row.op != "legacy":
            rerouted, lost = reroute_open_cases(
                uow, directories.at(uow, row.version), now, f"v{row.version}: {row.note or row.op}"
            )
        repo.mark_applied(uow, row.version, now, rerouted, lost)
        done.append(row.version)
    return done


def read_directory(uow, directories: Directories, query: ReadDirectory, now: datetime) -> Any:
    """One part of the directory as JSON; may raise ServiceError(DIRECTORY_ENTRY_NOT_FOUND)."""
    if query.part == "versions":
        return [version_view(r).model_dump(mode="json") for r in repo.list_versions(uow)]
    directory = directory_for(uow, directories, query.version, now)
    doc = directory.doc
    if query.part == "summary":
        return DirectorySummary(
            version=directory.version,
            effective_from=directory.effective_from,
            units=len(doc["unit"]),
            agencies=len(doc["agency"]),
            categories=len(doc["category"]),
            rules=len(doc["rule"]),
            wards_approximate=directory.wards.approximate,
            pending_versions=repo.pending_versions(uow, now),
        ).model_dump(mode="json")
    if query.part in PARTS:
        entries = doc[PARTS[query.part]]
        if query.key is None:
            return [entries[k] for k in sorted(entries)]
        if query.key not in entries:
            raise not_found(f"{query.part}/{query.key}")
        return entries[query.key]
    if query.part == "deadlines":
        return directory.deadlines.model_dump(mode="json")
    if query.part == "holidays":
        return holidays(directory, query.key)
    cells = cells_of(doc)
    return {
        **directory.wards.to_feature_collection(),
        "approximate": directory.wards.approximate,
        "official": cells is not None and not cells.approximate,
        "directory_version": directory.version,
    }


def directory_for(uow, directories: Directories, version: int | None, now: datetime) -> Directory:
    """The version asked for, or the one in force; may raise ServiceError(DIRECTORY_ENTRY_NOT_FOUND)."""
    if version is not None:
        try:
            return directories.at(uow, version)
        except LookupError:
            raise not_found(f"version {version}") from None
    directory = directories.current(uow, now)
    if directory is None:
        raise not_found("the directory is not loaded (run the seed)")
    return directory


def holidays(directory: Directory, key: str | None) -> Any:
    """Configured years, or one year's configuration with its resulting days off."""
    configured = directory.doc["holiday_year"]
    if key is None:
        return [configured[y] for y in sorted(configured)]
    if not key.isdigit() or not 2000 <= int(key) <= 2100:
        raise ServiceError(
            ErrorCode.VALIDATION_FAILED,
            "year must be between 2000 and 2100",
            [{"field": "year", "message": "not a year between 2000 and 2100", "type": "value_error"}],
        )
    config = HolidayYear.model_validate(configured[key]) if key in configured else HolidayYear(year=int(key))
    days = directory.snapshot.calendar.holidays(int(key))
    return HolidayView(config=config, days_off=dict(sorted(days.items()))).model_dump(mode="json")


def not_found(what: str) -> ServiceError:
    """404 for a directory read."""
    return ServiceError(ErrorCode.DIRECTORY_ENTRY_NOT_FOUND, f"not in the directory: {what}")
