"""Fixtures for the local(8) tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator

import pytest

from pyfix.delivery.local.service import LocalAgent
from tests.delivery.local.harness import LocalBox, LocalUsers, users_fixture
from tests.instance import world_traversable_dir

MakeBox = Callable[..., LocalBox]


@pytest.fixture
def make_box() -> Iterator[MakeBox]:
    base = world_traversable_dir("pyfix-local-")
    made: list[LocalBox] = []

    def make(main_cf: str = "", service: str = "local") -> LocalBox:
        box = LocalBox(base / f"b{len(made)}", main_cf, service)
        made.append(box)
        return box

    yield make
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def users() -> Iterator[LocalUsers]:
    yield from users_fixture("pyfix-local-users-")


def agent(box: LocalBox) -> LocalAgent:
    return LocalAgent(box.config, box.log)
