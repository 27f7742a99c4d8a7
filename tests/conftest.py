"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.instance import Instance, instances


@pytest.fixture
def pyfix_instance() -> Iterator[Callable[..., Instance]]:
    """make(main_cf="", master_cf=None, host="127.0.0.1", start=True) -> Instance."""
    yield from instances()
