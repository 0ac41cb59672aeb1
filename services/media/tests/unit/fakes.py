"""Fakes of media's collaborators for entrypoint tests with nameko's `worker_factory`: a unit of work that
records statements and answers from a script, and a bucket that only presigns."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta


class FakeResult:
    """What `execute` returns: rows for `first`/`all`, a number for `scalar_one`."""

    def __init__(self, answer):
        self.answer = answer

    def first(self):
        if isinstance(self.answer, list):
            return self.answer[0] if self.answer else None
        return self.answer

    def all(self):
        return list(self.answer) if isinstance(self.answer, list) else [self.answer]

    def scalar_one(self):
        return self.answer


class FakeUnitOfWork:
    """`UnitOfWork` as media uses it: `answers` are handed out in order, one per statement (`[]` once used
    up)."""

    def __init__(self, answers: Iterable = (), healthy: bool = True):
        self.answers, self.healthy = list(answers), healthy
        self.statements, self.events, self.inbox = [], [], set()
        self.commits = self.rollbacks = 0

    def execute(self, stmt):
        self.statements.append(stmt)
        return FakeResult(self.answers.pop(0) if self.answers else [])

    def claim(self, event_id, consumer: str, event_type: str) -> bool:
        if (event_id, consumer) in self.inbox:
            return False
        self.inbox.add((event_id, consumer))
        return True

    def emit(self, event) -> None:
        self.events.append(event)

    def commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        self.rollbacks += 1

    def ping(self) -> bool:
        return self.healthy


class FakeBucket:
    """The private bucket: presigned URLs name the key; nothing is stored."""

    def __init__(self, healthy: bool = True):
        self.healthy, self.deleted = healthy, []

    def presign_put(self, key: str, ttl: timedelta) -> str:
        return f"https://bucket.test/{key}?put&ttl={int(ttl.total_seconds())}"

    def presign_get(self, key: str, ttl: timedelta) -> str:
        return f"https://bucket.test/{key}?get"

    def delete_quietly(self, keys) -> None:
        self.deleted += list(keys)

    def ping(self) -> bool:
        return self.healthy
