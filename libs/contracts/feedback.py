"""Views of the feedback service."""
from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime

from .common import Contract

RatingLevel = Literal["HAI_LONG", "CHAP_NHAN", "KHONG_HAI_LONG"]


class RatingState(Contract):
    """Whether a report can be rated now, and how it was rated."""

    report_id: UUID
    state: Literal["NOT_OPEN", "OPEN", "RATED", "CLOSED"]
    rating: RatingLevel | None = None
    window_closes_at: AwareDatetime | None = None
