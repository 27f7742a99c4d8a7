"""Fixtures for the seed-topology tests (tests/seed/topology.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.delivery.local.harness import LocalUsers, users_fixture
from tests.instance import instances
from tests.seed.topology import Seed, seed_fixture


@pytest.fixture(scope="module")
def seed() -> Iterator[Seed]:
    """DNS server and smtp-sink "Internet"; module-scoped, as starting servers is slow."""
    for make in instances("pyfix-seed-"):
        yield from seed_fixture(make)


@pytest.fixture(scope="module")
def users() -> Iterator[LocalUsers]:
    """Real passwd users (useradd); skips without root."""
    yield from users_fixture("pyfix-seed-users-")
