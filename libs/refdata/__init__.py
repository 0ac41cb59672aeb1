"""Reference data of the served provinces, in one place: read it only through `load(province)`.

Each province folder holds `units.json` (and, for the seeded province, `agencies`, `categories`, `workflow`,
`rules`, `holidays`); `province_outlines.geojson` and `units_meta.json` cover every province. README.md keeps
the provenance of every file. Routing's seed writes the seeded province as a directory version; other readers
(intake's fallback category list, the gateway's Open311 geography, libs.geo, bench, the tests) load it here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
OUTLINES = ROOT / "province_outlines.geojson"
DEFAULT_PROVINCE = "hatinh"  # the province `make seed` writes into routing's directory
FOLDERS = {"42": "hatinh", "46": "hue"}  # official province code -> folder


class RefDataError(LookupError):
    """No such province or file; the message names it."""


@dataclass(frozen=True)
class Province:
    """One province's folder of reference files."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    def file(self, name: str) -> Path:
        """The path of `<name>.json`; raises RefDataError when it is missing."""
        path = self.path / f"{name}.json"
        if not path.is_file():
            raise RefDataError(f"no {name}.json in {self.path}")
        return path

    def has(self, name: str) -> bool:
        return (self.path / f"{name}.json").is_file()

    def read(self, name: str) -> Any:
        """A fresh copy of `<name>.json` (callers may change it)."""
        return json.loads(self.file(name).read_text(encoding="utf-8"))

    def units(self) -> list[dict[str, Any]]:
        return self.read("units")

    def categories(self) -> list[dict[str, Any]]:
        data = self.read("categories")
        return data["categories"] if isinstance(data, dict) else data

    def agencies(self) -> list[dict[str, Any]]:
        data = self.read("agencies")
        return data["agencies"] if isinstance(data, dict) else data


def load(province: str = DEFAULT_PROVINCE, root: str | Path | None = None) -> Province:
    """A province by folder name (`hatinh`) or official code (`42`); `root` overrides this package's
    folder."""
    folder = Path(root) if root else ROOT
    path = folder / FOLDERS.get(str(province), str(province))
    if not str(province) or not (path / "units.json").is_file():
        raise RefDataError(f"no reference data for province {province!r} in {folder}")
    return Province(path)


def at(path: str | Path) -> Province:
    """A folder of the same shape elsewhere (routing's `seed --data`)."""
    return Province(Path(path))
