"""virtual(8) at agent level: texts of Postfix 3.7.11's virtual/*.c."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyfix.delivery.virtual import VirtualAgent
from tests.delivery.local.harness import LocalBox
from tests.instance import world_traversable_dir

UID = 65534 if os.geteuid() == 0 else os.geteuid()


@pytest.fixture
def root() -> Iterator[Path]:
    base = world_traversable_dir("pyfix-virtual-")
    yield base
    shutil.rmtree(base, ignore_errors=True)


def make(root: Path, extra: str = "", minimum: int = 100) -> tuple[LocalBox, Path]:
    base = root / "vmail"
    base.mkdir(exist_ok=True)
    os.chmod(base, 0o777)
    box = LocalBox(root / f"box{len(list(root.iterdir()))}",
                   f"virtual_mailbox_base = {base}\n"
                   "virtual_mailbox_maps = inline:{ a@virt.example=a, m@virt.example=m/, "
                   "bad@virt.example=x/../y }\n"
                   f"virtual_uid_maps = static:{UID}\nvirtual_gid_maps = static:{UID}\n"
                   f"virtual_minimum_uid = {minimum}\n" + extra, service="virtual")
    return box, base


def test_mailbox_maildir_unknown_and_bad_path(root: Path) -> None:
    box, base = make(root)
    rcpts = ["a@virt.example", "m@virt.example", "nosuch@virt.example", "bad@virt.example"]
    qid = box.enqueue(rcpts)
    out = box.deliver(VirtualAgent(box.config, box.log), qid)
    text = "\n".join(out.log)
    assert "to=<a@virt.example>, relay=virtual" in text
    assert "dsn=2.0.0, status=sent (delivered to mailbox)" in text
    assert "dsn=2.0.0, status=sent (delivered to maildir)" in text
    assert 'dsn=5.1.1, status=bounced (unknown user: "nosuch@virt.example")' in text
    assert "warning: recipient bad@virt.example: bad mailbox path x/../y in " \
           "virtual_mailbox_maps" in text
    assert "dsn=4.3.5, status=deferred (mail system configuration error)" in text
    assert (base / "a").read_text().startswith("From sender@example.org  ")
    assert box.undone(qid) == ["bad@virt.example"]


def test_uid_below_minimum_is_a_configuration_error(root: Path) -> None:
    box, _base = make(root, minimum=UID + 1)
    qid = box.enqueue(["a@virt.example"])
    out = box.deliver(VirtualAgent(box.config, box.log), qid)
    assert f"warning: recipient a@virt.example: bad uid {UID} in virtual_uid_maps" in out.log
    assert any("status=deferred (mail system configuration error)" in line for line in out.log)


def test_size_limit_is_checked_at_start(root: Path) -> None:
    box, _base = make(root, "virtual_mailbox_limit = 1000\nmessage_size_limit = 2000\n")
    with pytest.raises(ValueError, match="configuration error: virtual_mailbox_limit is "
                                         "smaller than message_size_limit"):
        VirtualAgent(box.config, box.log)
