"""Dependency providers of the accounts service: validated settings, and the password-hashing process pool.

argon2id costs ~0.2 s of CPU and 64 MiB per hash: run on the eventlet hub it would stall every other worker,
so hashing and checking happen in a small spawn-context process pool started with the service
(`HASH_WORKERS`). Under monkey-patching, waiting on a future is a green wait."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from nameko.extensions import DependencyProvider

from libs.platform.tracker import prepare_tracker

from .domain import passwords
from .settings import AccountsSettings


class Settings(DependencyProvider):
    """Injects `AccountsSettings` (parsed once; a bad setting stops the service at boot)."""

    def setup(self) -> None:
        self.settings = AccountsSettings.from_config(self.container.config)  # may raise ConfigError

    def get_dependency(self, worker_ctx) -> AccountsSettings:
        return self.settings


class PasswordPool:
    """What a worker gets: `hash(password)` and `verify(stored, password)`, each run in a pool process."""

    def __init__(self, provider: Passwords):
        self._provider = provider

    def _run(self, fn, *args):
        try:
            return self._provider.pool().submit(fn, *args).result(timeout=30)
        except BrokenProcessPool:  # a worker died: start a fresh pool and try once more
            self._provider.restart()
            return self._provider.pool().submit(fn, *args).result(timeout=30)

    def hash(self, password: str) -> str:
        return self._run(passwords.hash_password, password)

    def verify(self, stored: str | None, password: str) -> tuple[bool, bool]:
        """(matches, needs_rehash)."""
        return self._run(passwords.verify_password, stored, password)


class Passwords(DependencyProvider):
    """Owns the hashing pool: created at start (workers warmed), shut down at stop."""

    def setup(self) -> None:
        self.workers = int(self.container.config.get("HASH_WORKERS", 1))
        self._pool: ProcessPoolExecutor | None = None

    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            prepare_tracker()  # its writes must not be green: see libs/platform/tracker.py
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool

    def restart(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def start(self) -> None:
        [
            f.result(timeout=60)
            for f in [self.pool().submit(passwords.weakness, "warm-up", "") for _ in range(self.workers)]
        ]

    def stop(self) -> None:
        self.restart()

    def kill(self) -> None:
        self.restart()

    def get_dependency(self, worker_ctx) -> PasswordPool:
        return PasswordPool(self)
