"""Fixtures of the media interface ring: the service (real RabbitMQ, PostgreSQL, S3) beside a fake intake."""

import pytest

from services.media.service import MediaService
from services.media.tests.interface.support import FakeIntake


@pytest.fixture
def intake(container_factory, stack):
    """The fake intake on the test vhost (media asks it whether reports exist and are public)."""
    container = container_factory(FakeIntake, {"AMQP_URI": stack.amqp_uri})
    container.start()
    return FakeIntake


@pytest.fixture
def media(start_service, intake):
    return start_service(MediaService)
