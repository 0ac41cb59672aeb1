"""Dependency providers of the media service: validated settings, the process pool's life cycle, the
bucket."""

from __future__ import annotations

import logging

from nameko.extensions import DependencyProvider
from pydantic import ValidationError

from libs.platform.boot import BootError

from .adapters.objects import MinioMediaObjects, objects_from_config
from .processing import configure_pool, shutdown_pool, warm_pool
from .settings import MediaSettings, from_config

log = logging.getLogger(__name__)


class Processing(DependencyProvider):
    """Injects `MediaSettings`; sizes the process pool at setup, starts its workers at start, stops them at
    stop.

    The pool's workers are separate processes: decoding, re-encoding, blurring and transcoding never run on
    the eventlet hub, so the service keeps answering RPCs and AMQP heartbeats while a video renders.
    """

    def setup(self) -> None:
        try:
            self.settings = from_config(self.container.config)
        except (ValidationError, ValueError, TypeError) as exc:
            raise BootError(f"media configuration refused: {exc}") from None
        configure_pool(
            self.settings.pool_workers,
            self.settings.pool_tasks_per_child,
            self.settings.pool_memory_mb,
            self.settings.pool_cpu_s,
        )

    def start(self) -> None:
        self.container.spawn_managed_thread(self._warm)

    def _warm(self) -> None:
        """Spawn the workers (and load OpenCV's cascades) before the first upload has to wait for it."""
        try:
            pids = warm_pool()
            log.info("media pool ready: %d worker(s)", len(pids))
        except Exception as exc:  # stopped while warming, or a broken install: uploads will say so
            log.warning("media pool warm-up failed: %s", type(exc).__name__)

    def stop(self) -> None:
        shutdown_pool(wait=False)

    def kill(self) -> None:
        shutdown_pool(wait=False)

    def get_dependency(self, worker_ctx) -> MediaSettings:
        return self.settings


class MediaStore(DependencyProvider):
    """Injects the media bucket; creates it at start-up when missing."""

    def setup(self) -> None:
        self.objects = objects_from_config(self.container.config)
        self.objects.ensure()

    def get_dependency(self, worker_ctx) -> MinioMediaObjects:
        return self.objects
