"""Use case: a citizen submits a report (validated, rate-limited, deduplicated), or says "me too"."""
from __future__ import annotations

import uuid
from datetime import datetime

from nameko.rpc import rpc

from libs.contracts.common import Status, utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.events import ReportAcceptedV1, ReportSubmittedV1
from libs.contracts.lifecycle import MeToo, MeTooRef
from libs.contracts.reports import ClientInfo, ReportRef, SimilarQuery, SimilarReport, SubmitReport, SubmitReportCommand
from libs.platform.errors import ServiceError, parse

from . import repo_people as people
from . import repo_queries as queries
from . import repository as repo
from .casefile import CaseFile, location_of
from .domain import fingerprint, report_code, tracking_token
from .dupes import ReportPoint, bounding_box, suggest
from .ratelimit import RateLimiter, check_all
from .workflow import OPEN_STATES, PUBLIC_STATES, Action, Actor, Kind, Role, State, should_auto_accept

AUTO_TRIAGE = Actor(role=Role.SYSTEM, subject="auto_triage")


class Submission(CaseFile):
    """submit_report, similar_reports, me_too."""

    @rpc(expected_exceptions=ServiceError)
    def submit_report(self, payload: dict) -> dict:
        """Create a report (or return the one already made under the same Idempotency-Key)."""
        cmd = parse(SubmitReportCommand, payload)
        report, key = cmd.report, cmd.idempotency_key
        if key and (existing := repo.by_idempotency_key(self.db, key)) is not None:
            return self._replay(existing, fingerprint(report))
        self._validate(report)  # may raise VALIDATION_FAILED / UNKNOWN_CATEGORY: nothing written
        now = utcnow()
        self._rate_limit(report.reporter, cmd.client, now)  # may raise RATE_LIMITED
        report_id = uuid.uuid4()
        code = report_code(now.year, repo.next_seq(self.db))
        window = self.settings.urgent_triage_window if report.priority.value == "KHAN" else self.settings.triage_window
        repo.insert(self.db, id=report_id, code=code, category=report.category, description=report.description,
                    lat=report.location.lat, lon=report.location.lon, address=report.address,
                    priority=report.priority.value, status=Status.CHO_TIEP_NHAN.value, channel=report.channel,
                    reporter_sealed=self.settings.sealer.seal(report.reporter), idempotency_key=key,
                    request_fingerprint=fingerprint(report), attributes=report.attributes,
                    base_working_days=self.settings.base_days.get(report.category),
                    triage_due_at=now + window, created_at=now, updated_at=now)
        repo.add_step(self.db, report_id, now, Role.CITIZEN.value, None, Status.CHO_TIEP_NHAN, action="submit")
        people.add_follower(self.db, report_id, "reporter", now, source_report_id=report_id)
        if should_auto_accept(report.category, report.channel, report.priority.value, self.settings.auto_triage):
            status = self._auto_accept(report_id, now)
        else:
            status = Status.CHO_TIEP_NHAN
        self.db.emit(ReportSubmittedV1(report_id=report_id, code=code, category=report.category,
                                       priority=report.priority, location=report.location, status=status,
                                       channel=report.channel))
        similar = self._similar(report.category, report.location.lat, report.location.lon, now, report_id)
        self.db.commit()  # may raise IntegrityError on a concurrent same-key submission
        return ReportRef(id=report_id, code=code, tracking_token=tracking_token(self.settings.token_key, report_id),
                         status=status, created_at=now, similar=similar).model_dump(mode="json")

    def _auto_accept(self, report_id, now: datetime) -> Status:
        row = repo.get(self.db, report_id)
        t = self._perform(row, AUTO_TRIAGE, Action(kind=Kind.ACCEPT, note="Tự động tiếp nhận / accepted automatically"),
                          now)
        self.db.emit(ReportAcceptedV1(report_id=row.id, code=row.code, category=row.category,
                                      priority=t.after.priority, location=location_of(row)))
        return Status(t.to_state)

    def _replay(self, row, request_fingerprint: str) -> dict:
        if row.request_fingerprint != request_fingerprint:
            raise ServiceError(ErrorCode.IDEMPOTENCY_KEY_REUSED,
                               "this Idempotency-Key was used for a different report",
                               [{"field": "Idempotency-Key", "message": "already used for another request",
                                 "type": "conflict"}])
        return ReportRef(id=row.id, code=row.code, tracking_token=tracking_token(self.settings.token_key, row.id),
                         status=Status(row.status), created_at=row.created_at,
                         replayed=True).model_dump(mode="json")

    def _validate(self, report: SubmitReport) -> None:
        """Checks the contract cannot make: inside the province, a known category, at most N media."""
        errors = []
        fence = self.settings.fence
        if fence is not None and not fence.contains(report.location.lat, report.location.lon):
            errors.append({"field": "location", "type": "outside_province",
                           "message": f"vị trí nằm ngoài tỉnh / outside the province (+{fence.buffer_m / 1000:g} km)"})
        if len(report.media_urls) > self.settings.max_media:
            errors.append({"field": "media_urls", "type": "too_many",
                           "message": f"tối đa {self.settings.max_media} tệp / at most {self.settings.max_media} files"})
        if errors:
            raise ServiceError(ErrorCode.VALIDATION_FAILED, "the report has invalid fields", errors)
        self._require_category(report.category)

    def _require_category(self, code: str, field: str = "category") -> None:
        if not self.categories.known(code, self.routing):
            raise ServiceError(ErrorCode.UNKNOWN_CATEGORY, f"unknown category {code}",
                               [{"field": field, "message": "lĩnh vực không tồn tại / not a known category",
                                 "type": "unknown_category"}])

    def _rate_limit(self, contact, client: ClientInfo | None, now: datetime) -> None:
        """Per device, phone, account and IP; a denial is RATE_LIMITED with the seconds to wait."""
        ip = client.ip if client else None
        rules = self.settings.rate_rules
        if not rules or self.settings.exempt(ip):
            return
        identity = {"device": (client and client.device_id) or (contact and contact.device_id),
                    "phone": contact and contact.phone, "account": contact and contact.account_id, "ip": ip}
        decision = check_all(RateLimiter(people.PgCounterStore(self.db.session.get_bind())), identity, rules, now,
                             self.settings.rate_pepper)
        if not decision.allowed:
            scope = decision.key.split(":")[1] if decision.key else "client"
            raise ServiceError(ErrorCode.RATE_LIMITED, f"too many submissions; retry after {decision.retry_after_s} s",
                               [{"field": "Retry-After", "message": str(decision.retry_after_s), "type": "retry_after"},
                                {"field": f"client.{scope}", "message": "gửi quá nhiều / too many submissions",
                                 "type": "rate_limited"}])

    def _similar(self, category: str, lat: float, lon: float, now: datetime, exclude=None) -> list[SimilarReport]:
        """Open reports of the category nearby, nearest first; text only for verified ones."""
        s = self.settings
        rows = queries.duplicate_candidates(self.db, category, bounding_box(lat, lon, s.duplicate_radius_m),
                                            now - s.duplicate_max_age, exclude)
        by_id = {str(r.id): r for r in rows}
        points = [ReportPoint(str(r.id), r.category, r.lat, r.lon, r.created_at, State(r.status)) for r in rows]
        here = ReportPoint(str(exclude or ""), category, lat, lon, now)
        return [SimilarReport(id=by_id[h.case_id].id, code=by_id[h.case_id].code, category=category,
                              status=Status(h.state.value), distance_m=round(h.distance_m, 1),
                              created_at=by_id[h.case_id].created_at,
                              description=by_id[h.case_id].description if h.state in PUBLIC_STATES else None)
                for h in suggest(here, points, s.duplicate_radius_m, s.duplicate_max_age, now)]

    @rpc(expected_exceptions=ServiceError)
    def similar_reports(self, payload: dict) -> list[dict]:
        """Before submitting: "is this yours?" — open reports of the category near the point."""
        query = parse(SimilarQuery, payload)
        found = self._similar(query.category, query.location.lat, query.location.lon, utcnow())
        return [s.model_dump(mode="json") for s in found]

    @rpc(expected_exceptions=ServiceError)
    def me_too(self, payload: dict) -> dict:
        """Follow an open case instead of submitting a duplicate (rate-limited like a submission)."""
        cmd = parse(MeToo, payload)
        row = self._load(cmd.report_id, lock=True)
        if State(row.status) not in OPEN_STATES:
            raise ServiceError(ErrorCode.TRANSITION_NOT_ALLOWED, f"case {row.code} is not open",
                               [{"field": "report_id", "message": "phản ánh đã đóng / the case is closed",
                                 "type": "case_closed"}])
        now = utcnow()
        self._rate_limit(cmd.contact, cmd.client, now)
        ref = people.add_follower(self.db, row.id, "follower", now,
                                  contact_sealed=self.settings.sealer.seal(cmd.contact))
        supporters = repo.add_supporters(self.db, row.id, 1)
        self.db.commit()
        return MeTooRef(report_id=row.id, recipient_ref=str(ref), supporters=supporters).model_dump(mode="json")
