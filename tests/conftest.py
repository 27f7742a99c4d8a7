"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from pyfix.log.printable import set_utf8_enable, utf8_enabled
from tests.instance import Instance, instances


@pytest.fixture(autouse=True)
def _utf8_switch() -> Iterator[None]:
    """Each test starts with the process-wide UTF-8 switch on (Postfix 3.7's
    smtputf8_enable default), whatever an in-process load_config() set."""
    before = utf8_enabled()
    set_utf8_enable(True)
    yield
    set_utf8_enable(before)


@pytest.fixture
def pyfix_instance() -> Iterator[Callable[..., Instance]]:
    """make(main_cf="", master_cf=None, host="127.0.0.1", start=True) -> Instance."""
    yield from instances()
