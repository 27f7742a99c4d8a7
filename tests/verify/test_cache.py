"""pyfix.verify.cache: the entry format Postfix's verify(8) stores, and the
cache's states (in progress, positive, negative, due for a refresh,
expired).

The value format "STATUS:PROBED:UPDATED:TEXT" is what real Postfix 3.7.11
wrote for the dialogues of tests/golden/verify/README.md (postmap -s
btree:verify_cache): "0:0:1796702113:250 2.1.5 Ok" for a deliverable
address, "2:0:...:host ... said: 500 5.3.0 ..." for a bounced probe and
"1:0:...:connect to ...: Connection refused" for a deferred one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pyfix.tables.base import TableOpenError
from pyfix.verify.cache import (
    IN_PROGRESS,
    LAST_CLEANUP,
    CacheEntry,
    CachePolicy,
    VerifyCache,
    open_cache,
)
from pyfix.verify.protocol import (
    DEL_RCPT_STAT_BOUNCE,
    DEL_RCPT_STAT_DEFER,
    DEL_RCPT_STAT_OK,
    DEL_RCPT_STAT_TODO,
)

# positive: expire 1000 s, refresh 100 s; negative: expire 500 s, refresh 50 s
POLICY = CachePolicy(1000, 100, True, 500, 50)
T0 = 1_800_000_000


def cache(tmp_path: Path, policy: CachePolicy = POLICY) -> tuple[VerifyCache, list[str]]:
    warnings: list[str] = []
    return VerifyCache(open_cache(f"btree:{tmp_path}/verify_cache"), policy,
                       warnings.append), warnings


@pytest.mark.parametrize("value, entry", [
    ("0:0:1796702113:250 2.1.5 Ok", CacheEntry(0, 0, 1796702113, "250 2.1.5 Ok")),
    ("2:0:1796702114:host 127.0.0.1[127.0.0.1] said: 500 5.3.0 Error: command failed "
     "(in reply to RCPT TO command)",
     CacheEntry(2, 0, 1796702114, "host 127.0.0.1[127.0.0.1] said: 500 5.3.0 Error: "
                "command failed (in reply to RCPT TO command)")),
    ("1:0:1796702115:connect to 127.0.0.1[127.0.0.1]:26003: Connection refused",
     CacheEntry(1, 0, 1796702115, "connect to 127.0.0.1[127.0.0.1]:26003: Connection refused")),
    ("3:1796702115:0:Address verification in progress",
     CacheEntry(3, 1796702115, 0, IN_PROGRESS)),
])
def test_entry_format_is_postfix(value: str, entry: CacheEntry) -> None:
    assert CacheEntry.parse(value) == entry
    assert entry.value() == value


@pytest.mark.parametrize("value", ["", "0:0:1", "x:0:1:t", "9:0:1:t", "0:-1:1:t", "0:0:y:t"])
def test_malformed_entries_are_refused(value: str) -> None:
    assert CacheEntry.parse(value) is None


def test_unknown_address_is_in_progress_and_probed_once(tmp_path: Path) -> None:
    c, _ = cache(tmp_path)
    first = c.query("u@example.net", T0)
    assert (first.status, first.text, first.probe) == (DEL_RCPT_STAT_TODO, IN_PROGRESS, True)
    assert c.get("u@example.net") == CacheEntry(DEL_RCPT_STAT_TODO, T0, 0, IN_PROGRESS)
    again = c.query("u@example.net", T0 + 3)  # smtpd polls: no second probe
    assert (again.status, again.probe) == (DEL_RCPT_STAT_TODO, False)


def test_probe_result_is_cached(tmp_path: Path) -> None:
    c, _ = cache(tmp_path)
    c.query("u@example.net", T0)
    assert c.update("u@example.net", DEL_RCPT_STAT_OK, "250 2.1.5 Ok", T0 + 1)
    assert c.table.lookup("u@example.net") == f"0:0:{T0 + 1}:250 2.1.5 Ok"
    answer = c.query("u@example.net", T0 + 2)
    assert (answer.status, answer.text, answer.probe) == (DEL_RCPT_STAT_OK, "250 2.1.5 Ok",
                                                          False)


@pytest.mark.parametrize("status", [DEL_RCPT_STAT_BOUNCE, DEL_RCPT_STAT_DEFER])
def test_negative_results(tmp_path: Path, status: int) -> None:
    c, _ = cache(tmp_path)
    c.update("u@example.net", status, "no", T0)
    answer = c.query("u@example.net", T0 + 10)
    assert (answer.status, answer.text, answer.probe) == (status, "no", False)
    refresh = c.query("u@example.net", T0 + 50)  # negative refresh time: probe, old answer
    assert (refresh.status, refresh.probe) == (status, True)
    expired = c.query("u@example.net", T0 + 500)  # negative expire time: unknown again
    assert (expired.status, expired.text) == (DEL_RCPT_STAT_TODO, IN_PROGRESS)


def test_positive_refresh_and_expiry(tmp_path: Path) -> None:
    c, _ = cache(tmp_path)
    c.update("u@example.net", DEL_RCPT_STAT_OK, "250 ok", T0)
    assert not c.query("u@example.net", T0 + 99).probe
    refresh = c.query("u@example.net", T0 + 100)
    assert (refresh.status, refresh.probe) == (DEL_RCPT_STAT_OK, True)
    assert not c.query("u@example.net", T0 + 101).probe  # that probe is pending
    expired = c.query("u@example.net", T0 + 1000)
    assert expired.status == DEL_RCPT_STAT_TODO


def test_negative_result_does_not_replace_a_valid_positive_one(tmp_path: Path) -> None:
    c, _ = cache(tmp_path)
    c.update("u@example.net", DEL_RCPT_STAT_OK, "250 ok", T0)
    assert not c.update("u@example.net", DEL_RCPT_STAT_DEFER, "connection refused", T0 + 200)
    assert c.query("u@example.net", T0 + 201).status == DEL_RCPT_STAT_OK
    # once the positive result expired, the negative one is stored
    assert c.update("u@example.net", DEL_RCPT_STAT_BOUNCE, "550 no", T0 + 1000)
    assert c.query("u@example.net", T0 + 1001).status == DEL_RCPT_STAT_BOUNCE


def test_without_negative_cache_a_negative_result_is_always_probed_again(
        tmp_path: Path) -> None:
    c, _ = cache(tmp_path, CachePolicy(1000, 100, False, 500, 50))
    c.update("u@example.net", DEL_RCPT_STAT_BOUNCE, "550 no", T0)
    answer = c.query("u@example.net", T0 + 1)
    assert (answer.status, answer.probe) == (DEL_RCPT_STAT_BOUNCE, True)


def test_malformed_entry_is_treated_as_missing_with_a_warning(tmp_path: Path) -> None:
    c, warnings = cache(tmp_path)
    c.table.update("u@example.net", "garbage")
    assert c.query("u@example.net", T0).status == DEL_RCPT_STAT_TODO
    assert warnings == ["bad address verify cache entry for u@example.net: garbage"]


def test_cleanup_drops_expired_entries(tmp_path: Path) -> None:
    c, _ = cache(tmp_path)
    c.update("good@example.net", DEL_RCPT_STAT_OK, "250 ok", T0)
    c.update("bad@example.net", DEL_RCPT_STAT_BOUNCE, "550 no", T0)
    c.query("lost@example.net", T0)  # a probe that never came back
    assert c.cleanup(T0 + 10) == (3, 0)
    assert c.cleanup(T0 + 600) == (1, 2)
    assert c.get("good@example.net") is not None
    assert c.get("bad@example.net") is None and c.get("lost@example.net") is None
    assert c.last_cleanup() == T0 + 600
    assert c.table.lookup(LAST_CLEANUP) == str(T0 + 600)


def test_cache_types(tmp_path: Path) -> None:
    assert open_cache(f"lmdb:{tmp_path}/v").lookup("x") is None
    with pytest.raises(TableOpenError, match="unsupported dictionary type: texthash"):
        open_cache(f"texthash:{tmp_path}/v")


def test_empty_map_is_kept_in_memory() -> None:
    c = VerifyCache(open_cache(""), POLICY, lambda _t: None)
    assert c.query("u@example.net", T0).probe
    c.update("u@example.net", DEL_RCPT_STAT_OK, "250 ok", T0 + 1)
    assert c.query("u@example.net", T0 + 2).status == DEL_RCPT_STAT_OK
    assert c.cleanup(T0 + 2000) == (0, 1)


def test_a_probe_that_was_not_sent_is_asked_for_again(tmp_path: Path) -> None:
    c, _ = cache(tmp_path)
    assert c.query("u@example.net", T0).probe
    c.unprobe("u@example.net")
    assert c.query("u@example.net", T0 + 1).probe
