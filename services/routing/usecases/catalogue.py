"""Use cases: public reads of the directory in force — the latest decision of a report, the categories clients
choose from, the names messages use, and how much of the directory is loaded."""

from __future__ import annotations

import uuid
from datetime import datetime

from libs.contracts.directory import DirectoryNames
from libs.contracts.errors import ErrorCode
from libs.contracts.routing import CategoryView, DirectoryCounts
from libs.platform.errors import ServiceError

from ..domain.directory import entry_names, unit_names
from ..domain.views import routing_decision_view
from ..repository import decisions as cases_repo
from .flow import Directories


def latest_decision(uow, report_id: str) -> dict:
    """The latest routed decision of a report, with its reason; may raise REPORT_NOT_FOUND."""
    try:
        row = cases_repo.decision(uow, uuid.UUID(str(report_id)), routed_only=True)
    except ValueError:
        row = None
    if row is None:
        raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no routing decision for {report_id}")
    return routing_decision_view(row).model_dump(mode="json")


def categories(uow, directories: Directories, now: datetime) -> list[dict]:
    """The report categories clients may choose from (directory in force)."""
    directory = directories.current(uow, now)
    cats = directory.doc["category"] if directory else {}
    return [
        CategoryView(
            code=c["code"],
            name_vi=c["name_vi"],
            name_en=c["name_en"],
            description=c["description"],
            default_agency=c["default_agency"],
        ).model_dump(mode="json")
        for _, c in sorted(cats.items())
    ]


def names(uow, directories: Directories, now: datetime) -> dict:
    """Vietnamese and English names of the categories, agencies and units in force."""
    directory = directories.current(uow, now)
    if directory is None:
        return DirectoryNames(version=0).model_dump(mode="json")
    doc = directory.doc
    return DirectoryNames(
        version=directory.version,
        categories=[entry_names(c) for _, c in sorted(doc["category"].items())],
        agencies=[entry_names(a) for _, a in sorted(doc["agency"].items())],
        units=[unit_names(u) for _, u in sorted(doc["unit"].items())],
    ).model_dump(mode="json")


def counts(uow, directories: Directories, now: datetime) -> dict:
    """How much of the directory is in force (version 0 = not seeded)."""
    directory = directories.current(uow, now)
    if directory is None:
        return DirectoryCounts(version=0, units=0, agencies=0, categories=0).model_dump(mode="json")
    doc = directory.doc
    return DirectoryCounts(
        version=directory.version,
        units=len(doc["unit"]),
        agencies=len(doc["agency"]),
        categories=len(doc["category"]),
    ).model_dump(mode="json")
