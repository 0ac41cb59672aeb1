"""Open-loop load for the fault suite: citizens submit reports through the gateway at a steady rate, staff
move a share of them through the whole lifecycle, and every answer the clients got is recorded for the
checker.

A client that gets a timeout, a 5xx or a connection error retries with the same Idempotency-Key (as the
citizen app does); staff actions are retried the same way, and an action refused after an unanswered attempt
is settled by reading the case (the unanswered attempt may have done it). Plain threads and httpx; no eventlet
here."""

from __future__ import annotations

import io
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from libs import refdata
from libs.auth.tokens import mint

ROOT = Path(__file__).resolve().parents[2]
UNITS = refdata.load().units()
WARDS = sorted(u["code"] for u in UNITS if u.get("centroid"))
CENTROID = {u["code"]: u["centroid"] for u in UNITS if u.get("centroid")}
CATEGORY = "GIAO_THONG_HA_TANG"  # default agency: UBND_<ward>
# How far along the lifecycle each state is: a later answer must never show an earlier state than one
# acknowledged.
ORDER = {
    s: i
    for i, s in enumerate(
        (
            "CHO_TIEP_NHAN",
            "DA_TIEP_NHAN",
            "DA_CHUYEN_XU_LY",
            "DANG_XU_LY",
            "DA_XU_LY",
            "DA_CONG_KHAI",
            "DA_DANH_GIA",
            "DONG",
        )
    )
}
RETRYABLE = (httpx.TransportError,)
WARD_COUNT = 12  # reports fall in this many wards (seeded): their agencies' queues are provisioned
GIVE_UP_S = float(__import__("os").environ.get("CHAOS_GIVE_UP_S", "150"))


def _jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 160, 60)).save(buf, "JPEG")
    return buf.getvalue()


@dataclass
class Answer:
    """One attempt: when it was sent and answered, and the status code (0: no answer: timeout, connection)."""

    what: str
    sent: float
    answered: float
    status: int
    state: str | None = None  # the case's state in a 2xx answer


@dataclass
class Driven:
    """One report as its clients saw it."""

    n: int
    key: str
    device: str
    body: dict
    staff: bool
    answers: list[Answer] = field(default_factory=list)
    id: str | None = None
    code: str | None = None
    token: str | None = None
    created: bool = False  # answered 201
    acked_state: str | None = None  # the furthest state an answered 2xx showed
    routed_at: float | None = None  # when a read first showed it routed
    accept_sent: float | None = None
    done: bool = False  # its workflow finished (or gave up)
    refused_but_done: list[str] = field(
        default_factory=list
    )  # actions answered 409 on their only attempt, yet done
    gave_up: str | None = None


class Driver:
    """`run(duration)` submits `rate` reports per second for `duration` seconds; `wait()` lets workflows
    finish."""

    def __init__(
        self,
        base_url: str,
        jwt_secret: str,
        rate: float,
        staff_share: float,
        seed: int,
        workers: int = 48,
        log=print,
    ):
        self.base_url, self.key, self.rate, self.staff_share = base_url, jwt_secret, rate, staff_share
        self.rng = random.Random(seed)
        self.wards = sorted(self.rng.sample(WARDS, min(WARD_COUNT, len(WARDS))))
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="citizen")
        self.reports: list[Driven] = []
        self.say = log
        self.photo = _jpeg()
        self._local = threading.local()
        self.futures = []

    def client(self) -> httpx.Client:
        c = getattr(self._local, "client", None)
        if c is None:
            c = self._local.client = httpx.Client(base_url=self.base_url, timeout=15)
        return c

    def headers(self, role: str = "operator", agency: str | None = None) -> dict:
        return {"Authorization": f"Bearer {mint(f'chaos-{role}', role, self.key, agency)}"}

    # ---- one HTTP call, retried as the apps do

    def call(
        self, r: Driven, what: str, method: str, path: str, ok=(200, 201), not_yet: str | None = None, **kw
    ) -> httpx.Response | None:
        """Retry on no answer and on 5xx (and 429/503 refusals) with a capped backoff, until GIVE_UP_S; also
        on a 404 whose problem code is `not_yet` (something still on its way, such as a photo whose render a
        killed media process left to the retry clock; the gateway itself waits only a few seconds for it)."""
        start, delay = time.monotonic(), 0.3
        while True:
            sent = time.monotonic()
            try:
                resp = self.client().request(method, path, **kw)
            except RETRYABLE:
                r.answers.append(Answer(what, sent, time.monotonic(), 0))
                resp = None
            else:
                state = None
                if resp.status_code in ok:
                    try:
                        state = resp.json().get("status")
                    except ValueError:
                        pass
                r.answers.append(Answer(what, sent, time.monotonic(), resp.status_code, state))
                if resp.status_code < 500 and resp.status_code != 429 and not _is(resp, not_yet):
                    return resp
            if time.monotonic() - start > GIVE_UP_S:
                return resp
            time.sleep(delay)
            delay = min(delay * 2, 3.0)

    def _ack(self, r: Driven, state: str | None) -> None:
        if state in ORDER and (r.acked_state is None or ORDER[state] > ORDER[r.acked_state]):
            r.acked_state = state

    # ---- the lifecycle of one report

    def life(self, r: Driven) -> None:
        try:
            self._life(r)
        except Exception as exc:  # noqa: BLE001 - recorded: the checker reports it
            r.gave_up = f"driver error: {exc!r}"
        finally:
            r.done = True

    def _life(self, r: Driven) -> None:
        resp = self.call(
            r,
            "submit",
            "POST",
            "/v1/reports",
            json=r.body,
            headers={"Idempotency-Key": r.key, "X-Device-Id": r.device},
        )
        if resp is None or resp.status_code != 201:
            r.gave_up = f"submit: {resp.status_code if resp is not None else 'no answer'}"
            return
        ref = resp.json()
        r.id, r.code, r.token, r.created = ref["id"], ref["code"], ref["tracking_token"], True
        self._ack(r, ref.get("status"))
        if not r.staff:
            return
        rid = r.id
        r.accept_sent = time.monotonic()
        if not self.step(
            r,
            "accept",
            "POST",
            f"/v1/operator/reports/{rid}/accept",
            "DA_TIEP_NHAN",
            json={"note": "Đã xác minh"},
            headers=self.headers(),
        ):
            return
        case = self.until(
            r,
            lambda c: (
                c.get("status") in ("DA_CHUYEN_XU_LY",)
                or ORDER.get(c.get("status"), -1) > ORDER["DA_CHUYEN_XU_LY"]
            ),
            "routed",
        )
        if case is None:
            return
        r.routed_at = time.monotonic()
        agency = case["agency_code"]
        officer = self.headers("agency_officer", agency)
        if not self.step(
            r,
            "agency accept",
            "POST",
            f"/v1/agency/reports/{rid}/accept",
            "DANG_XU_LY",
            json={"note": "Đơn vị đã nhận"},
            headers=officer,
        ):
            return
        up = self.call(
            r,
            "upload",
            "POST",
            f"/v1/agency/reports/{rid}/media",
            headers=officer,
            files={"file": ("after.jpg", self.photo, "image/jpeg")},
            data={"role": "result"},
        )
        if up is None or up.status_code != 201:
            r.gave_up = (
                f"upload: {up.status_code if up is not None else 'no answer'} {up.text[:200] if up else ''}"
            )
            return
        if not self.step(
            r,
            "result",
            "POST",
            f"/v1/agency/reports/{rid}/result",
            "DA_XU_LY",
            json={"note": "Đã vá ổ gà", "media_ids": [up.json()["id"]]},
            headers=officer,
            not_yet="MEDIA_NOT_FOUND",  # a render left pending by a kill is finished by media's retry clock
        ):
            return
        if not self.step(
            r,
            "publish",
            "POST",
            f"/v1/operator/reports/{rid}/publish",
            "DA_CONG_KHAI",
            json={"note": "Kết quả đạt"},
            headers=self.headers(),
        ):
            return
        self.step(
            r,
            "rate",
            "POST",
            f"/v1/reports/{rid}/rating",
            "DA_DANH_GIA",
            json={"rating": "HAI_LONG"},
            headers={"X-Tracking-Token": r.token},
        )

    def read(self, r: Driven) -> dict | None:
        resp = self.call(r, "read", "GET", f"/v1/operator/reports/{r.id}", headers=self.headers())
        return resp.json() if resp is not None and resp.status_code == 200 else None

    def until(self, r: Driven, predicate, what: str, timeout: float = GIVE_UP_S) -> dict | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            case = self.read(r)
            if case is not None and predicate(case):
                return case
            time.sleep(0.5)
        r.gave_up = f"never {what}: last {case and case.get('status')}"
        return None

    def step(self, r: Driven, what: str, method: str, path: str, target: str, **kw) -> bool:
        """A staff or citizen action: 200, or (after an unanswered attempt) a refusal while the case already
        shows the action's effect (that attempt did it)."""
        resp = self.call(r, what, method, path, **kw)
        if resp is not None and resp.status_code == 200:
            self._ack(r, resp.json().get("status"))
            return True
        retried = sum(1 for a in r.answers if a.what == what) > 1
        if resp is not None and resp.status_code in (409, 422):
            case = self.read(r)  # one actor per report here: nobody else can have moved it
            if case is not None and ORDER.get(case.get("status"), -1) >= ORDER[target]:
                if not retried:
                    # Answered once, refused, yet done: the service ran this very RPC twice (a replica killed
                    # after its commit, before its reply; the broker redelivered the call to the other one).
                    # Not a lost write; a wrong answer, counted and reported (docs/reliability.md, Faults).
                    r.refused_but_done.append(what)
                return True
        r.gave_up = (
            f"{what}: {resp.status_code if resp is not None else 'no answer'} "
            f"{resp.text[:300] if resp is not None else ''}"
        )
        return False

    # ---- open loop

    def new_report(self) -> Driven:
        n = len(self.reports)
        ward = self.rng.choice(self.wards)
        point = CENTROID[ward]
        tag = f"{n:05d}{self.rng.getrandbits(32):08x}"
        device = f"chaos-device-{tag}"
        body = {
            "category": CATEGORY,
            "description": f"Ổ gà sâu giữa đường, phản ánh số {tag}",
            "location": {
                "lat": point["lat"] + self.rng.uniform(-0.002, 0.002),
                "lon": point["lon"] + self.rng.uniform(-0.002, 0.002),
            },
            "address": f"Đường Trần Phú {n}",
            # no phone or e-mail: citizens hear in the app (no SMTP or SMS gateway runs here)
            "reporter": {"name": f"Người dân {tag}", "device_id": device},
        }
        r = Driven(
            n,
            str(uuid.UUID(int=self.rng.getrandbits(128))),
            device,
            body,
            staff=self.rng.random() < self.staff_share,
        )
        self.reports.append(r)
        return r

    def agencies(self) -> list[str]:
        """The agencies the driven reports are routed to (the category's default: the ward's people's
        committee)."""
        return [f"UBND_{w}" for w in self.wards]

    def run(self, duration: float, until=lambda: True) -> None:
        """Submit at `rate` per second on a fixed schedule (open loop: a slow answer delays nothing), for
        `duration` seconds and then until `until()` is true (the first round of faults done)."""
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < duration or not until():
            due = start + n / self.rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            self.futures.append(self.pool.submit(self.life, self.new_report()))
            n += 1

    def wait(self, timeout: float) -> bool:
        """Until every workflow finished; False when some are still running after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(f.done() for f in self.futures):
                return True
            time.sleep(0.5)
        return False

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def _is(resp: httpx.Response, code: str | None) -> bool:
    """Whether `resp` is a 404 problem with this code."""
    if code is None or resp.status_code != 404:
        return False
    try:
        return resp.json().get("code") == code
    except ValueError:
        return False
