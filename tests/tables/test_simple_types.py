"""Unit tests for inline:, static:, fail:, environ:, unix:, pipemap:, unionmap:, proxy:."""

from __future__ import annotations

import os
import pwd

import pytest

from pyfix.tables.base import TableConfigError, TableRetryError
from pyfix.tables.open import TableOpenError, TableSpecError, open_table, split_spec


def lookup(spec: str, key: str) -> str | None:
    return open_table(spec, cache=False).lookup(key)


def test_inline_forms_and_folding() -> None:
    spec = "inline:{ foo=bar, { key = text with spaces }, Baz=1 }"
    assert lookup(spec, "foo") == "bar"
    assert lookup(spec, "key") == "text with spaces"
    assert lookup(spec, "BAZ") == "1"
    assert lookup(spec, "other") is None


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        (
            "inline:{x}",
            'missing \'=\' after attribute name: "inline:{x}"; need "inline:{name=value...}"',
        ),
        ("inline:{x=y", 'bad syntax: "inline:{x=y"; need "inline:{name=value...}"'),
        ("inline:{}", 'bad syntax: "inline:{}"; need "inline:{name=value...}"'),
        ("inline:{ , }", 'empty table: "inline:{ , }"; need "inline:{name=value...}"'),
        ("foo:bar", "unsupported dictionary type: foo"),
        ("unix:shadow.byname", "unknown table: unix:shadow.byname"),
    ],
)
def test_open_failures(spec: str, reason: str) -> None:
    with pytest.raises(TableOpenError) as info:
        open_table(spec, surrogate=False, cache=False)
    assert str(info.value) == reason
    surrogate = open_table(spec, cache=False)
    with pytest.raises(TableConfigError) as err:
        surrogate.lookup("x")
    assert str(err.value) == f"{spec} is unavailable. {reason}"


def test_spec_syntax() -> None:
    assert split_spec("hash:/etc/postfix/transport") == ("hash", "/etc/postfix/transport")
    assert split_spec("proxy:unix:passwd.byname") == ("proxy", "unix:passwd.byname")
    with pytest.raises(TableSpecError, match='expecting "type:name" form instead of "nocolon"'):
        split_spec("nocolon")
    with pytest.raises(TableSpecError, match='instead of "hash:"'):
        split_spec("hash:")


def test_static_fail_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    assert lookup("static:abc", "anything") == "abc"
    assert lookup("static:{ a b c }", "x") == "a b c"
    with pytest.raises(TableRetryError):
        lookup("fail:oops", "x")
    # Keys of fixed tables are folded to lower case, as in Postfix.
    monkeypatch.setenv("pyfix_test_var", "value")
    assert lookup("environ:x", "PYFIX_TEST_VAR") == "value"


def test_unix_tables() -> None:
    me = pwd.getpwuid(os.getuid())
    entry = lookup("unix:passwd.byname", me.pw_name)
    assert entry is not None and entry.split(":")[2] == str(me.pw_uid)
    assert lookup("unix:passwd.byname", "no-such-user-pyfix") is None
    assert lookup("unix:group.byname", "root") is not None


def test_pipemap_unionmap_proxy() -> None:
    assert lookup("pipemap:{inline:{x=y}, inline:{y=z}}", "x") == "z"
    assert lookup("pipemap:{inline:{x=y}, inline:{q=z}}", "x") is None
    assert lookup("unionmap:{inline:{x=y}, inline:{x=z}, inline:{q=r}}", "x") == "y,z"
    assert lookup("unionmap:{inline:{x=y}}", "q") is None
    assert lookup("proxy:inline:{x=y}", "X") == "y"
    assert lookup("proxywrite:static:v", "k") == "v"
