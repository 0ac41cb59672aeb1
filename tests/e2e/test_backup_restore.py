"""Back up a running system, wipe it (database, bucket, broker vhost), restore it, and find everything again.

The system under test has its own database, bucket and vhost. Before the backup it holds cases in several
states, a photo, deliveries not yet done, an event not yet relayed (the broker refuses it: a queue policy),
and an event relayed but not yet handled (notify is stopped). After the restore on a fresh broker the
services pick up where they were: the unrelayed event is relayed, the unhandled one is sent again.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import uuid

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from devtools import devstack
from devtools.testing import TEST_ID, System, fresh_database, seeded_database, wait_for
from libs.auth.tokens import mint

from .test_walking_skeleton import jpeg_bytes, report_body

pytestmark = pytest.mark.e2e
AGENCY = "UBND_18073"


@pytest.fixture(scope="module")
def world(stack, tmp_path_factory):
    """A system of its own: database hientruong_<id>_restore, its bucket and vhost."""
    url = (
        make_url(stack.database_url)
        .set(database=f"hientruong_{TEST_ID}_restore")
        .render_as_string(hide_password=False)
    )
    engine = seeded_database(url)
    bucket = f"hientruong-{TEST_ID}-restore".replace("_", "-")
    system = System(
        stack, tmp_path_factory.mktemp("restore-logs"), name="restore", DATABASE_URL=url, S3_BUCKET=bucket
    )
    system.engine, system.database_url, system.bucket = engine, url, bucket
    try:
        system.start()
        yield system
    finally:
        system.stop()
        engine.dispose()


def staff(system, role: str, agency: str | None = None) -> dict:
    token = mint(f"restore-{role}", role, system.stack.secrets["HT_JWT_SECRET"], agency)
    return {"Authorization": f"Bearer {token}"}


def rabbitmqctl(*args: str) -> None:
    done = subprocess.run([shutil.which("rabbitmqctl"), *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def backup_tool(system, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "libs.platform.backup", *args],
        env=system.env("backup"),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=devstack.ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def snapshot(client, system, ids: list[str]) -> dict:
    """What a person would check: each case's state and timeline, the photo's bytes, the deliveries."""
    cases = {}
    for rid in ids:
        view = client.get(f"/v1/reports/{rid}").json()
        cases[rid] = (view["status"], [(s["to_status"], s.get("note")) for s in view["timeline"]])
    with system.engine.connect() as conn:
        deliveries = {
            str(r.id): (str(r.report_id), r.recipient, r.kind, r.channel, r.state)
            for r in conn.execute(
                sa.text("SELECT id, report_id, recipient, kind, channel, state FROM notify.deliveries")
            )
        }
        unrelayed = conn.execute(
            sa.text("SELECT event_id FROM intake.outbox WHERE published_at IS NULL")
        ).scalars()
        unrelayed = {str(e) for e in unrelayed}
    return {"cases": cases, "deliveries": deliveries, "unrelayed": unrelayed}


def photo_digest(client, report_id: str, token: str) -> str:
    [media] = client.get(f"/v1/reports/{report_id}/media", headers={"X-Tracking-Token": token}).json()
    body = httpx.get(media["url"], timeout=20)
    assert body.status_code == 200
    return hashlib.sha256(body.content).hexdigest()


def test_backup_wipe_restore_finds_everything_and_picks_up_where_it_was(world, tmp_path, monkeypatch):
    client = httpx.Client(base_url=world.base_url, timeout=30)
    submit = lambda: client.post(  # noqa: E731
        "/v1/reports",
        json=report_body(),  # noqa: E731
        headers={"Idempotency-Key": str(uuid.uuid4())},
    ).json()
    accept = lambda rid: client.post(  # noqa: E731
        f"/v1/operator/reports/{rid}/accept",
        json={"note": "Đã xác minh"},  # noqa: E731
        headers=staff(world, "operator"),
    )
    status = lambda rid: client.get(f"/v1/reports/{rid}").json()["status"]  # noqa: E731

    waiting = submit()  # CHO_TIEP_NHAN: waits for the operators
    routed = submit()  # DA_CHUYEN_XU_LY, with a photo
    in_hand = submit()  # DANG_XU_LY: the agency took it
    for ref in (routed, in_hand):
        assert accept(ref["id"]).status_code == 200
    for ref in (routed, in_hand):
        wait_for(lambda: status(ref["id"]), lambda s: s == "DA_CHUYEN_XU_LY", timeout=30, what="routed")
    taken = client.post(
        f"/v1/agency/reports/{in_hand['id']}/accept", json={}, headers=staff(world, "agency_officer", AGENCY)
    )
    assert taken.status_code == 200, taken.text
    photo = client.post(
        f"/v1/reports/{routed['id']}/media",
        files={"file": ("p.jpg", jpeg_bytes(), "image/jpeg")},
        headers={"X-Tracking-Token": routed["tracking_token"]},
    )
    assert photo.status_code == 201 and photo.json()["state"] == "ready", photo.text
    digest = photo_digest(client, routed["id"], routed["tracking_token"])

    # relayed, not handled: notify is down while routing routes this one
    world.stop_process("notify")
    unhandled = submit()
    assert accept(unhandled["id"]).status_code == 200
    wait_for(lambda: status(unhandled["id"]), lambda s: s == "DA_CHUYEN_XU_LY", timeout=30, what="routed")
    # not relayed: the broker refuses every report.accepted (a full queue that rejects publishes) until the
    # wipe
    rabbitmqctl(
        "set_policy",
        "-p",
        world.vhost,
        "refuse-accepted",
        "^evt-intake-report\\.accepted--",
        '{"max-length": 0, "overflow": "reject-publish"}',
        "--apply-to",
        "queues",
    )
    unrelayed = submit()
    assert accept(unrelayed["id"]).status_code == 200
    with world.engine.connect() as conn:  # intake's relay has tried and failed (state, not loss)
        attempts = wait_for(
            lambda: conn.execute(
                sa.text(
                    "SELECT attempts FROM intake.outbox WHERE event_type = 'report.accepted' AND "
                    "published_at IS NULL "
                    "AND payload->>'report_id' = :r"
                ),
                {"r": unrelayed["id"]},
            ).scalar(),
            lambda a: a and a >= 1,
            what="a refused publish",
        )
    assert attempts >= 1 and status(unrelayed["id"]) == "DA_TIEP_NHAN"

    ids = [r["id"] for r in (waiting, routed, in_hand, unrelayed, unhandled)]
    before = snapshot(client, world, ids)
    assert before["cases"][in_hand["id"]][0] == "DANG_XU_LY" and before["unrelayed"]
    assert not any(d[0] == unhandled["id"] for d in before["deliveries"].values())  # notify never heard of it
    backup = tmp_path / "backup"
    assert "backup in" in backup_tool(world, "create", str(backup))

    # wipe: processes, database, bucket, broker state
    world.stop()
    fresh_database(world.database_url)
    world.engine.dispose()  # its pooled connections died with the database
    from libs.platform.backup import bucket_from_env

    for key, value in world.env("backup").items():
        if key.startswith("S3_"):
            monkeypatch.setenv(key, value)
    store = bucket_from_env()
    for obj in list(store.client.list_objects(store.bucket, recursive=True)):
        store.client.remove_object(store.bucket, obj.object_name)
    store.client.remove_bucket(store.bucket)
    devstack.ensure_vhost(world.vhost, fresh=True)
    assert not store.client.bucket_exists(store.bucket)

    out = backup_tool(world, "restore", str(backup))
    assert "restored schemas" in out
    world.start()

    after = snapshot(client, world, ids)
    for rid in (waiting["id"], routed["id"], in_hand["id"]):
        assert after["cases"][rid] == before["cases"][rid]
    assert photo_digest(client, routed["id"], routed["tracking_token"]) == digest
    for did, row in before["deliveries"].items():  # every delivery is still there; none was lost or skipped
        assert after["deliveries"][did][:4] == row[:4]
        if row[4] in ("pending", "failed"):
            assert after["deliveries"][did][4] in ("pending", "failed", "sent", "acknowledged")
    # picking up: the unrelayed acceptance is relayed and routed; notify gets the case it never heard of
    wait_for(
        lambda: status(unrelayed["id"]),
        lambda s: s == "DA_CHUYEN_XU_LY",
        timeout=60,
        what="the unrelayed event relayed after the restore",
    )
    with world.engine.connect() as conn:
        wait_for(
            lambda: conn.execute(
                sa.text("SELECT count(*) FROM notify.deliveries WHERE report_id = :r"), {"r": unhandled["id"]}
            ).scalar(),
            lambda n: n > 0,
            timeout=60,
            what="notify handling the event it missed",
        )
        left = conn.execute(sa.text("SELECT count(*) FROM intake.outbox WHERE published_at IS NULL")).scalar()
    assert (
        left == 0
        or wait_for(
            lambda: snapshot(client, world, [])["unrelayed"], lambda u: not u, what="the outbox drained"
        )
        == set()
    )
    client.close()
