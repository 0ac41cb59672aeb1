"""The console's live channel through every real process: server-sent events when cases change (operators see
all, an agency only its own), and the counts of the queue tabs."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from .staff_accounts_support import create_account, first_sign_in
from .test_lifecycle_support import client, operator, staff, submit  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e


class Listener:
    """Reads a staff event stream in a thread and keeps every `case` event."""

    def __init__(self, base_url: str, headers: dict):
        self.events: list[dict] = []
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(base_url, headers), daemon=True)
        self.thread.start()
        assert self.ready.wait(20), "the stream did not open"

    def _run(self, base_url: str, headers: dict) -> None:
        try:
            self._read(base_url, headers)
        except httpx.ReadTimeout:
            if not self.stop.is_set():  # a quiet stream after the test has let go of it is no failure
                raise

    def _read(self, base_url: str, headers: dict) -> None:
        with httpx.Client(base_url=base_url, timeout=httpx.Timeout(30, read=20)) as c:
            with c.stream("GET", "/v1/staff/events", headers=headers) as answer:
                assert answer.status_code == 200 and answer.headers["content-type"].startswith(
                    "text/event-stream"
                )
                kind = None
                for line in answer.iter_lines():
                    if line.startswith("event: "):
                        kind = line[7:]
                        self.ready.set() if kind == "ready" else None
                    elif line.startswith("data: ") and kind == "case":
                        self.events.append(json.loads(line[6:]))
                    if self.stop.is_set():
                        return

    def seen(self, report_id: str, timeout: float = 20.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.events if e["report_id"] == report_id]
            if found:
                return found
            time.sleep(0.1)
        return []


def test_operators_hear_of_a_new_report_and_only_the_holding_agency_of_its_routing(client, staff, system):
    ops = first_sign_in(client, create_account(client, system, "operator"))
    holder = first_sign_in(client, create_account(client, system, "agency_officer", "UBND_18073"))
    other = first_sign_in(client, create_account(client, system, "agency_officer", "UBND_18076"))
    listeners = {
        name: Listener(system.base_url, who.bearer)
        for name, who in (("ops", ops), ("holder", holder), ("other", other))
    }
    try:
        ref = submit(client, ward="18073")
        assert [e["status"] for e in listeners["ops"].seen(ref["id"])][:1] == ["CHO_TIEP_NHAN"]
        assert listeners["holder"].seen(ref["id"], timeout=1) == []  # not routed yet: nothing for agencies
        operator(client, staff, ref["id"], "accept", note="Đã xác minh")
        routed = listeners["holder"].seen(ref["id"])
        assert routed and {"report.routed", "report.status_changed"} & {e["type"] for e in routed}
        assert listeners["other"].seen(ref["id"], timeout=2) == []
        assert all(set(e) == {"report_id", "type", "status"} for e in listeners["ops"].events)
    finally:
        for listener in listeners.values():
            listener.stop.set()


def test_queue_counts_follow_the_tabs(client, staff, system):
    ops = first_sign_in(client, create_account(client, system, "operator"))
    before = client.get("/v1/operator/queue/counts", headers=ops.bearer).json()["counts"]
    assert set(before) >= {"new", "info_answered", "returned", "results", "overdue"}
    submit(client, ward="18073")
    after = client.get("/v1/operator/queue/counts", headers=ops.bearer).json()["counts"]
    assert after["new"] == before["new"] + 1
    officer = first_sign_in(client, create_account(client, system, "agency_officer", "UBND_18073"))
    assert set(client.get("/v1/agency/inbox/counts", headers=officer.bearer).json()["counts"]) == {
        "new",
        "in_progress",
        "due_soon",
        "overdue",
    }
    assert client.get("/v1/operator/queue/counts", headers=officer.bearer).status_code == 403
