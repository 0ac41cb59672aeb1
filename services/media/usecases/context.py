"""The collaborators every media use case works with, handed over explicitly by the service's entrypoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..settings import MediaSettings
from .pipeline import Pipeline


@dataclass(frozen=True, slots=True)
class Media:
    """One worker's view of the service: `db` (UnitOfWork), `objects` (the bucket), `settings`, `intake`
    (proxy)."""

    db: Any
    objects: Any
    settings: MediaSettings
    intake: Any

    def pipeline(self) -> Pipeline:
        """The processing pipeline over this worker's bucket."""
        return Pipeline(self.objects, self.settings)

    def presign(self, key: str) -> str:
        """A short-lived read URL for one rendition."""
        return self.objects.presign_get(key, self.settings.get_url_ttl)
