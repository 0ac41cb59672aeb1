"""Media's entrypoints with nameko's `worker_factory` and fakes: each validates, calls its use case, and
commits (or rolls back) on purpose — no broker, database or bucket."""

from __future__ import annotations

import uuid

import pytest
from nameko.testing.services import worker_factory

from libs.contracts.events import ReportMediaVisibilityChangedV1
from libs.platform.errors import ServiceError
from services.media.repository.models import uploads
from services.media.service import MediaService
from services.media.settings import from_config
from services.media.tests.unit.fakes import FakeBucket, FakeUnitOfWork

OPERATOR = {"sub": "op-" + uuid.uuid4().hex[:8], "role": "operator", "agency": None}


def make_media(answers=(), db_ok: bool = True, s3_ok: bool = True, **config):
    """A MediaService worker over fakes; `answers` are the database's, in order."""
    return worker_factory(
        MediaService,
        db=FakeUnitOfWork(answers, db_ok),
        objects=FakeBucket(s3_ok),
        settings=from_config(config),
        intake=None,
    )


def upload_request(**overrides) -> dict:
    return {"report_id": str(uuid.uuid4()), "content_type": "image/jpeg", "size": 1000, **overrides}


def test_create_upload_inserts_a_slot_under_a_random_key_and_commits_once():
    media = make_media(answers=[0])  # count_active: no file yet
    slot = media.create_upload(upload_request())
    count, insert = media.db.statements
    assert insert.table is uploads and media.db.commits == 1
    values = insert.compile().params
    assert values["object_key"] == values["slot_key"] and values["object_key"].startswith("originals/")
    assert values["uploader_role"] == "citizen" and values["size"] == 1000
    assert slot["media_id"] == str(values["id"]) and slot["put_url"].startswith(
        f"https://bucket.test/{values['object_key']}?put"
    )


def test_create_upload_refuses_a_claimed_size_over_the_limit_before_any_statement():
    media = make_media(MEDIA_MAX_PHOTO_BYTES="2000")
    with pytest.raises(ServiceError) as err:
        media.create_upload(upload_request(size=2001))
    assert err.value.code == "MEDIA_TOO_LARGE" and err.value.errors[0]["field"] == "size"
    assert media.db.statements == [] and media.db.commits == 0


def test_create_upload_refuses_a_file_over_the_per_report_count():
    media = make_media(answers=[2], MEDIA_MAX_PER_REPORT="2")
    with pytest.raises(ServiceError) as err:
        media.create_upload(upload_request())
    assert err.value.code == "TOO_MANY_MEDIA" and media.db.commits == 0 and len(media.db.statements) == 1


def test_create_upload_refuses_an_after_photo_from_a_citizen():
    media = make_media()
    with pytest.raises(ServiceError) as err:
        media.create_upload(upload_request(role="result"))
    assert (
        err.value.code == "FORBIDDEN" and err.value.errors[0]["field"] == "role" and media.db.statements == []
    )


def test_create_upload_names_the_field_of_a_bad_payload():
    media = make_media()
    with pytest.raises(ServiceError) as err:
        media.create_upload(upload_request(size=0))
    assert err.value.code == "VALIDATION_FAILED" and "size" in err.value.errors[0]["field"]


def test_review_media_is_for_operators_only():
    media = make_media()
    agency = {"sub": "ag-" + uuid.uuid4().hex[:8], "role": "agency_officer", "agency": "CA"}
    with pytest.raises(ServiceError) as err:
        media.review_media({"media_id": str(uuid.uuid4()), "actor": agency, "regions": []})
    assert err.value.code in ("FORBIDDEN", "VALIDATION_FAILED") and media.db.statements == []


def test_get_media_of_an_unknown_file_is_not_found():
    media = make_media(answers=[None])
    with pytest.raises(ServiceError) as err:
        media.get_media({"media_id": str(uuid.uuid4()), "actor": OPERATOR})
    assert err.value.code == "MEDIA_NOT_FOUND" and media.db.commits == 0


def test_list_media_of_a_report_without_files_asks_nobody():
    media = make_media(answers=[[]])
    assert media.list_media(payload={"report_id": str(uuid.uuid4())}) == []
    assert len(media.db.statements) == 1


def test_the_photo_timer_with_nothing_due_rolls_back_and_commits_nothing():
    media = make_media(answers=[None])
    media.process_photos()
    assert media.db.rollbacks == 1 and media.db.commits == 0 and len(media.db.statements) == 1


def test_the_visibility_event_is_applied_once_per_event_id():
    media = make_media()
    event = ReportMediaVisibilityChangedV1(report_id=uuid.uuid4(), media_id=uuid.uuid4(), hidden=True)
    payload = event.model_dump(mode="json")
    media.handle_media_visibility_changed(payload)
    media.handle_media_visibility_changed(payload)  # redelivered: the inbox knows it
    (update,) = media.db.statements
    assert update.table is uploads and update.compile().params["hidden"] is True
    assert media.db.commits == 1 and media.db.rollbacks == 1


@pytest.mark.parametrize("db_ok,s3_ok", [(True, True), (True, False), (False, True)])
def test_health_names_what_does_not_answer(db_ok, s3_ok):
    health = make_media(db_ok=db_ok, s3_ok=s3_ok).health()
    assert health["ok"] is (db_ok and s3_ok)
    assert health["checks"] == {"database": db_ok, "object_store": s3_ok}
