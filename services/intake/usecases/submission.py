"""Use case: a citizen submits a report (validated, rate-limited, deduplicated), or says "me too".

The channel comes from who calls (the gateway sets it: `web` for an anonymous citizen, `open311` for a
partner's key, `hotline` for an IOC operator entering a call), never from the citizen's body; automatic triage
trusts only configured categories and authenticated channels. A citizen's urgency (`KHAN`) is routed at once
but stays unverified (not public) until an operator verifies it, and counts against tighter limits."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from types import SimpleNamespace

from libs.contracts.common import Location, Status, utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.events import ReportAcceptedV1, ReportSubmittedV1
from libs.contracts.lifecycle import MeToo, MeTooRef
from libs.contracts.reports import (
    ClientInfo,
    ReportRef,
    SimilarQuery,
    SimilarReport,
    SubmitReport,
    SubmitReportCommand,
)
from libs.platform import correlation
from libs.platform.errors import ServiceError, parse
from libs.privacy.visibility import public_text

from ..domain.case_rows import columns_after, status_changed, step_of
from ..domain.duplicates import ReportPoint, bounding_box, suggest
from ..domain.ratelimit import LimitRule, check_all, scope_of
from ..domain.tokens import fingerprint, follower_token, idempotency_scope, tracking_token
from ..domain.workflow import OPEN_STATES, Action, Actor, CaseState, Kind, Role, State, should_auto_accept
from ..repository import counters, personal_data, search
from ..repository import reports as repo
from ..settings import IntakeSettings
from .casefile import KnownCategory, load_report, require_category, transition

log = logging.getLogger(__name__)

AUTO_TRIAGE = Actor(role=Role.SYSTEM, subject="auto_triage")


def submit_report(db, s: IntakeSettings, known_category: KnownCategory, payload: dict) -> dict:
    """Create a report (or return the one already made under the same Idempotency-Key).

    One transaction, four statements at most: the key look-up, every rate-limit counter at once, then the
    report with its number, timeline, follower and the duplicate candidates (`reports.create`), then its
    events (one outbox statement). Automatic triage is decided before anything is written.
    """
    cmd = parse(SubmitReportCommand, payload)
    report, key, request_fingerprint = cmd.report, cmd.idempotency_key, fingerprint(cmd.report)
    scope = idempotency_scope(cmd, s.rate_pepper)
    if key and (existing := repo.by_idempotency_key(db, scope, key)) is not None:
        return _replay(s, existing, request_fingerprint)
    _validate(s, known_category, report)  # may raise VALIDATION_FAILED / UNKNOWN_CATEGORY: nothing written
    now, urgent = utcnow(), report.priority.value == "KHAN"
    if cmd.channel == "web":  # partners are limited per key (authorize_open311_client), staff are not
        rules = s.rate_rules + (s.urgent_rules if urgent else ())
        rate_limit(
            db, s, report.reporter, cmd.client, now, rules
        )  # may raise RATE_LIMITED (hits rolled back)
    report_id = uuid.uuid4()
    row = dict(
        id=report_id,
        category=report.category,
        description=report.description,
        lat=report.location.lat,
        lon=report.location.lon,
        address=report.address,
        priority=report.priority.value,
        status=Status.CHO_TIEP_NHAN.value,
        channel=cmd.channel,
        reporter_sealed=s.sealer.seal(report.reporter),
        idempotency_key=key,
        idempotency_scope=scope,
        request_fingerprint=request_fingerprint,
        attributes=report.attributes,
        base_working_days=s.base_days.get(report.category),
        created_at=now,
        updated_at=now,
        triage_due_at=now + (s.urgent_triage_window if urgent else s.triage_window),
    )
    entered_by = (
        (Role.OPERATOR.value, cmd.staff_sub) if cmd.channel == "hotline" else (Role.CITIZEN.value, None)
    )
    steps = [
        repo.step_values(
            report_id,
            now,
            entered_by[0],
            None,
            Status.CHO_TIEP_NHAN,
            action="submit",
            actor_subject=entered_by[1],
        )
    ]
    accepted = _auto_accept(s, report, cmd.channel, row, steps, now)
    follower = dict(
        ref=uuid.uuid4(), report_id=report_id, role="reporter", created_at=now, source_report_id=report_id
    )
    code, candidates = repo.create(
        db, now.year, row, steps, follower, _near(s, report.category, report.location, now)
    )
    status = Status(row["status"])
    events = [
        ReportSubmittedV1(
            report_id=report_id,
            code=code,
            category=report.category,
            priority=report.priority,
            location=report.location,
            status=status,
            channel=cmd.channel,
        )
    ]
    if accepted is not None:
        new = SimpleNamespace(id=report_id, code=code, category=report.category)
        events[:0] = [
            status_changed(new, accepted, sequence=1),  # the case's first step: before any other
            ReportAcceptedV1(
                report_id=report_id,
                code=code,
                category=report.category,
                priority=accepted.after.priority,
                location=report.location,
            ),
        ]
    db.emit(*events)
    db.commit()
    correlation.bind_report(report_id)
    log.info("report %s submitted (%s, %s via %s)", code, report.category, status.value, cmd.channel)
    return ReportRef(
        id=report_id,
        code=code,
        tracking_token=tracking_token(s.token_key, report_id),
        status=status,
        created_at=now,
        similar=_suggestions(s, candidates, report.category, report.location, now, report_id),
    ).model_dump(mode="json")


def _auto_accept(
    s: IntakeSettings, report: SubmitReport, channel: str, row: dict, steps: list[dict], now: datetime
):
    """When triage is automatic: the accept transition, applied to the new row and its steps (still
    unwritten).

    Trusted (a category or an authenticated channel): verified, public at once. Urgent only: routed at once,
    not verified — the note says so, and the case waits in the operators' `urgent` bucket.
    """
    how = should_auto_accept(report.category, channel, report.priority.value, s.auto_triage)
    if how is None:
        return None
    case = CaseState(
        case_id=str(row["id"]),
        category=report.category,
        priority=report.priority.value,
        base_working_days=row["base_working_days"],
    )
    note = (
        "Tự động tiếp nhận / accepted automatically"
        if how == "trusted"
        else "Khẩn: chuyển xử lý ngay, chờ xác minh / urgent: routed at once, awaiting verification"
    )
    t = transition(case, AUTO_TRIAGE, Action(kind=Kind.ACCEPT, note=note, verify=how == "trusted"), now)
    row.update(columns_after(t))
    steps.append(repo.step_values(**step_of(row["id"], t)))
    return t


def _replay(s: IntakeSettings, row, request_fingerprint: str) -> dict:
    if row.request_fingerprint != request_fingerprint:
        raise ServiceError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "this Idempotency-Key was used for a different report",
            [{"field": "Idempotency-Key", "message": "already used for another request", "type": "conflict"}],
        )
    return ReportRef(
        id=row.id,
        code=row.code,
        tracking_token=tracking_token(s.token_key, row.id),
        status=Status(row.status),
        created_at=row.created_at,
        replayed=True,
    ).model_dump(mode="json")


def _validate(s: IntakeSettings, known_category: KnownCategory, report: SubmitReport) -> None:
    """Checks the contract cannot make: inside the province, a known category, at most N media."""
    errors = []
    fence = s.fence
    if fence is not None and not fence.contains(report.location.lat, report.location.lon):
        errors.append(
            {
                "field": "location",
                "type": "outside_province",
                "message": f"vị trí nằm ngoài tỉnh / outside the province (+{fence.buffer_m / 1000:g} km)",
            }
        )
    if len(report.media_urls) > s.max_media:
        errors.append(
            {
                "field": "media_urls",
                "type": "too_many",
                "message": f"tối đa {s.max_media} tệp / at most {s.max_media} files",
            }
        )
    if errors:
        raise ServiceError(ErrorCode.VALIDATION_FAILED, "the report has invalid fields", errors)
    require_category(known_category, report.category)


def rate_limit(
    db,
    s: IntakeSettings,
    contact,
    client: ClientInfo | None,
    now: datetime,
    rules: tuple[LimitRule, ...] | None = None,
    what: str = "submissions",
) -> None:
    """Per device, phone, account and IP — each counted whatever the others are, so a new device id resets
    nothing; a denial is RATE_LIMITED with the seconds to wait (urgent ones name the emergency numbers)."""
    ip = client.ip if client else None
    rules = s.rate_rules if rules is None else rules
    if not rules or s.exempt(ip):
        return
    identity = {
        "device": (client and client.device_id) or (contact and contact.device_id),
        "phone": contact and contact.phone,
        "account": contact and contact.account_id,
        "ip": ip,
    }
    decision = check_all(counters.PgCounterStore(db), identity, rules, now, s.rate_pepper)
    if not decision.allowed:
        db.rollback()  # nothing of a denied request stays (its hits were given back already)
        urgent = decision.key.startswith("rl:urgent:")
        message = (
            "quá nhiều phản ánh khẩn; nguy hiểm tính mạng hãy gọi 112, 113, 114, 115 / too many urgent "
            "reports; in danger call 112, 113, 114, 115"
            if urgent
            else "gửi quá nhiều / too many " + what
        )
        raise ServiceError(
            ErrorCode.RATE_LIMITED,
            f"too many {what}; retry after {decision.retry_after_s} s",
            [
                {"field": "Retry-After", "message": str(decision.retry_after_s), "type": "retry_after"},
                {
                    "field": f"client.{scope_of(decision.key)}",
                    "message": message,
                    "type": "rate_limited_urgent" if urgent else "rate_limited",
                },
            ],
        )


def _near(s: IntakeSettings, category: str, at: Location, now: datetime) -> dict:
    """Where duplicate suggestions are looked for: open reports of the category in the radius's box."""
    return search.near_params(
        category, bounding_box(at.lat, at.lon, s.duplicate_radius_m), now - s.duplicate_max_age
    )


def _suggestions(
    s: IntakeSettings, rows, category: str, at: Location, now: datetime, exclude=None
) -> list[SimilarReport]:
    """Public open reports of the category nearby (the candidates are public only), nearest first, with
    their public text; a report still waiting for verification is never suggested: its place is private."""
    by_id = {str(r.id): r for r in rows}
    points = [ReportPoint(str(r.id), r.category, r.lat, r.lon, r.created_at, State(r.status)) for r in rows]
    here = ReportPoint(str(exclude or ""), category, at.lat, at.lon, now)
    return [
        SimilarReport(
            id=by_id[h.case_id].id,
            code=by_id[h.case_id].code,
            category=category,
            status=Status(h.state.value),
            distance_m=round(h.distance_m, 1),
            created_at=by_id[h.case_id].created_at,
            description=public_text(by_id[h.case_id].description, by_id[h.case_id].public_description),
        )
        for h in suggest(here, points, s.duplicate_radius_m, s.duplicate_max_age, now)
    ]


def similar_reports(db, s: IntakeSettings, payload: dict) -> list[dict]:
    """Before submitting: "is this yours?" — public open reports of the category near the point
    (rate-limited per device and IP: may raise RATE_LIMITED)."""
    query, now = parse(SimilarQuery, payload), utcnow()
    rate_limit(db, s, None, query.client, now, s.similar_rules, "questions")
    rows = search.duplicate_candidates(db, _near(s, query.category, query.location, now))
    db.commit()  # the questions counted
    found = _suggestions(s, rows, query.category, query.location, now)
    return [f.model_dump(mode="json") for f in found]


def me_too(db, s: IntakeSettings, payload: dict) -> dict:
    """Follow an open case instead of submitting a duplicate (rate-limited like a submission).

    The answer carries a random follower token, shown this once (only its SHA-256 is stored): it opens the
    follower's in-app inbox and unsubscribes them. The recipient_ref, which notify and staff see, is no key.
    """
    cmd = parse(MeToo, payload)
    row = load_report(db, cmd.report_id, lock=True)
    if State(row.status) not in OPEN_STATES:
        raise ServiceError(
            ErrorCode.TRANSITION_NOT_ALLOWED,
            f"case {row.code} is not open",
            [
                {
                    "field": "report_id",
                    "message": "phản ánh đã đóng / the case is closed",
                    "type": "case_closed",
                }
            ],
        )
    now = utcnow()
    rate_limit(db, s, cmd.contact, cmd.client, now)
    token, token_hash = follower_token()
    ref = personal_data.add_follower(
        db, row.id, "follower", now, contact_sealed=s.sealer.seal(cmd.contact), token_hash=token_hash
    )
    supporters = repo.add_supporters(db, row.id, 1)
    db.commit()
    return MeTooRef(
        report_id=row.id, recipient_ref=str(ref), follower_token=token, supporters=supporters
    ).model_dump(mode="json")
