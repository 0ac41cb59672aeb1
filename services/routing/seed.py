"""Load the province directory (units, agencies, categories) into routing's tables; safe to run twice.

    python -m services.routing.seed [--data services/routing/seed_data/hatinh]

A new directory version is recorded only when the data changed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from libs.platform.migrate import database_url

from .models import agencies, categories, directory_versions, units

DEFAULT_DATA = Path(__file__).parent / "seed_data" / "hatinh"


def read_seed(data_dir: Path) -> dict:
    """The three JSON files of a province."""
    return {name: json.loads((data_dir / f"{name}.json").read_text(encoding="utf-8"))
            for name in ("units", "agencies", "categories")}


def rows(seed: dict, version: int) -> dict[sa.Table, list[dict]]:
    """Table rows for one directory version."""
    return {
        units: [dict(code=u["code"], name=u["name"], type=u["type"], lat=u["centroid"]["lat"],
                     lon=u["centroid"]["lon"], data=u, version=version) for u in seed["units"]],
        agencies: [dict(code=a["code"], name_vi=a["name_vi"], name_en=a.get("name_en"), level=a["level"],
                        kind=a["kind"], unit_code=a.get("unit_code"), data=a, version=version)
                   for a in seed["agencies"]["agencies"]],
        categories: [dict(code=c["code"], name_vi=c["name_vi"], name_en=c["name_en"],
                          description=c["description"], default_agency=c["default_agency"],
                          escalation_agency=c.get("escalation_agency"), co_handlers=c.get("co_handlers", []),
                          data=c, version=version) for c in seed["categories"]["categories"]],
    }


def seed(conn, data_dir: Path, author: str = "seed") -> int | None:
    """Upsert the directory; returns the new version, or None when nothing changed."""
    data = read_seed(data_dir)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    latest = conn.execute(sa.select(directory_versions.c.version, directory_versions.c.source_hash)
                          .order_by(directory_versions.c.version.desc()).limit(1)).first()
    if latest is not None and latest.source_hash == digest:
        return None
    version = (latest.version if latest else 0) + 1
    conn.execute(sa.insert(directory_versions).values(
        version=version, effective_from=datetime.now(timezone.utc), author=author, source_hash=digest,
        note=f"seed from {data_dir.name}"))
    for table, values in rows(data, version).items():
        stmt = pg_insert(table).values(values)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=[table.c.code],
            set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name != "code"}))
    return version


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    engine = sa.create_engine(database_url())
    with engine.begin() as conn:
        version = seed(conn, args.data)
    print(f"directory seeded: version {version}" if version else "directory unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
