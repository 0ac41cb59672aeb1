"""Backup and restore of the whole system's state: every service schema and the object-store bucket.

    python -m libs.platform.backup create [DIR]   # default backups/<UTC time>; `make backup`
    python -m libs.platform.backup restore DIR    # `make restore BACKUP=DIR`; stop the services first

A backup is a folder: `database.dump` (one `pg_dump` of every service schema in one transaction, so the
schemas agree with each other), `objects/` (every object of the bucket) and `manifest.json` (what was taken,
with each object's size, checksum and type). Settings come from the environment as for the services
(DATABASE_URL, S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET, S3_REGION).

A restore replaces the schemas and puts the objects back, then makes the services pick up where they were:
the broker's messages are not part of a backup, so every event that was published but not yet handled by all
of its consumers (its id is missing from a subscriber's inbox) is marked unpublished again and the relays
send it once more; rows never published are sent as usual. Consumers skip what they already handled.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from . import migrate, topology

SCHEMAS = migrate.SERVICES


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why."""


def libpq_url(url: str) -> str:
    """DATABASE_URL as pg_dump/pg_restore read it (no SQLAlchemy driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def bucket_from_env():
    from .objectstore import MinioBucket

    return MinioBucket(
        os.environ.get("S3_ENDPOINT", "http://127.0.0.1:9000"),
        os.environ.get("S3_ACCESS_KEY", "hientruong"),
        os.environ.get("S3_SECRET_KEY", ""),
        os.environ.get("S3_BUCKET", "hientruong-media"),
        region=os.environ.get("S3_REGION", "us-east-1"),
    )


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{cmd[0]} failed: {done.stderr.strip()[-2000:]}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _local_path(root: Path, key: str) -> Path:
    parts = PurePosixPath(key).parts
    if not parts or any(p in ("..", "/") for p in parts):
        raise BackupError(f"refusing object key {key!r}")
    return root.joinpath(*parts)


def create(target: Path, url: str | None = None) -> dict:
    """Take a backup into `target` (created; must not exist); returns the manifest."""
    url = url or migrate.database_url()
    target.mkdir(parents=True, exist_ok=False)
    _run(
        [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--no-acl",
            *[f"--schema={s}" for s in SCHEMAS],
            f"--file={target / 'database.dump'}",
            libpq_url(url),
        ]
    )
    store = bucket_from_env()
    objects = []
    for obj in store.client.list_objects(store.bucket, recursive=True):
        path = _local_path(target / "objects", obj.object_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        stat = store.client.fget_object(store.bucket, obj.object_name, str(path))
        objects.append(
            {
                "key": obj.object_name,
                "size": path.stat().st_size,
                "sha256": _sha256(path),
                "content_type": stat.content_type,
            }
        )
    manifest = {
        "created_at": datetime.now(UTC).isoformat(),
        "schemas": list(SCHEMAS),
        "bucket": store.bucket,
        "objects": objects,
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def requeue_unhandled(conn: sa.Connection) -> dict[str, int]:
    """Mark unpublished again every published event that some subscriber has not handled; counts per
    source."""
    counts: dict[str, int] = {}
    for source in sorted({s.source for s in topology.SUBSCRIPTIONS}):
        subscribers: dict[str, set[str]] = {}
        for s in topology.SUBSCRIPTIONS:
            if s.source == source:
                subscribers.setdefault(s.event_type, set()).add(s.service)
        total = 0
        for event_type, services in sorted(subscribers.items()):
            unhandled = " OR ".join(
                f'NOT EXISTS (SELECT 1 FROM "{svc}".inbox i WHERE i.event_id = o.event_id)'
                for svc in sorted(services)
            )
            total += conn.execute(
                sa.text(
                    f'UPDATE "{source}".outbox o SET published_at = NULL, attempts = 0, last_error = NULL, '
                    "next_attempt_at = now() WHERE o.published_at IS NOT NULL AND o.event_type = :t AND "
                    f"({unhandled})"
                ),
                {"t": event_type},
            ).rowcount
        counts[source] = total
    return counts


def restore(source: Path, url: str | None = None) -> dict:
    """Restore the backup in `source` over the database and bucket; returns what was done."""
    url = url or migrate.database_url()
    manifest = json.loads((source / "manifest.json").read_text())
    migrate.ensure_database(url)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, hide_parameters=True)
    try:
        with engine.begin() as conn:
            for schema in manifest["schemas"]:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        _run(
            [
                "pg_restore",
                "--exit-on-error",
                "--no-owner",
                "--no-acl",
                f"--dbname={libpq_url(url)}",
                str(source / "database.dump"),
            ]
        )
        store = bucket_from_env()
        store.ensure()
        for obj in manifest["objects"]:
            path = _local_path(source / "objects", obj["key"])
            if _sha256(path) != obj["sha256"]:
                raise BackupError(f"object {obj['key']} does not match its checksum: the backup is damaged")
            store.client.fput_object(
                store.bucket,
                obj["key"],
                str(path),
                content_type=obj.get("content_type") or "application/octet-stream",
            )
        with engine.begin() as conn:
            requeued = requeue_unhandled(conn)
    finally:
        engine.dispose()
    return {"schemas": manifest["schemas"], "objects": len(manifest["objects"]), "requeued_events": requeued}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("create", "restore") or (argv[0] == "restore" and len(argv) < 2):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        if argv[0] == "create":
            target = (
                Path(argv[1])
                if len(argv) > 1
                else Path("backups") / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            )
            manifest = create(target)
            print(
                f"backup in {target}: schemas {', '.join(manifest['schemas'])}; {len(manifest['objects'])} "
                "objects"
            )
        else:
            done = restore(Path(argv[1]))
            print(
                f"restored schemas {', '.join(done['schemas'])} and {done['objects']} objects; "
                f"events to send again: {done['requeued_events']}"
            )
    except (BackupError, OSError, sa.exc.OperationalError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
