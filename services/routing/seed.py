"""Load a province's directory from its seed folder as a directory version; safe to run on every start.

    python -m services.routing.seed [--data libs/refdata/hatinh] [--force]

A version is written when the directory is empty, or when the seed files changed and nobody changed the
directory through the administrator API since the last seed (`--force` overrides that guard: the seed content
then replaces the directory, as a new version, so nothing is lost from the history).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from libs import refdata
from libs.platform.migrate import database_url

from .domain.directory import doc_digest, doc_from_seed, empty_doc
from .domain.validation import validate
from .repository import versions as repo
from .repository.models import directory_versions

DEFAULT_DATA = refdata.load().path  # libs/refdata/hatinh


class _Conn:
    """A connection with the `execute` of a unit of work, so the repository serves the seed too."""

    def __init__(self, conn):
        self.conn = conn

    def execute(self, statement, params=None):
        return self.conn.execute(statement, params) if params is not None else self.conn.execute(statement)


def seed(conn, data_dir: Path = DEFAULT_DATA, author: str = "seed", force: bool = False) -> int | None:
    """Write the seed as a new version; returns it, or None when nothing was written."""
    uow = _Conn(conn)
    repo.lock_directory(uow)
    doc = doc_from_seed(data_dir)
    digest = doc_digest(doc)
    latest = repo.latest_version(uow)
    now = datetime.now(UTC)
    if latest is not None and latest.op != "legacy":
        last_seed = conn.execute(
            sa.select(directory_versions.c.source_hash)
            .where(directory_versions.c.op == "seed")
            .order_by(directory_versions.c.version.desc())
            .limit(1)
        ).scalar()
        if last_seed == digest:
            return None
        if latest.op != "seed" and not force:
            print(
                f"directory has administrator changes since the last seed (version {latest.version}, "
                f"{latest.op}); not reseeding (use --force)",
                file=sys.stderr,
            )
            return None
    base = repo.load_doc(uow, latest.version) if latest is not None and latest.op != "legacy" else empty_doc()
    version = (latest.version if latest is not None else 0) + 1
    effective = max(now, latest.effective_from) if latest is not None else now
    validate(doc, version, effective)  # may raise ChangeRejected naming what is inconsistent in the files
    repo.write_version(
        uow,
        version,
        base,
        doc,
        effective_from=effective,
        author=author,
        op="seed",
        source_hash=digest,
        note=f"seed from {Path(data_dir).name}",
        applied_at=now,
    )
    return version


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--force", action="store_true", help="reseed even over administrator changes")
    args = parser.parse_args(argv)
    engine = sa.create_engine(database_url(), hide_parameters=True)
    with engine.begin() as conn:
        version = seed(conn, args.data, force=args.force)
    engine.dispose()
    print(f"directory seeded: version {version}" if version else "directory unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
