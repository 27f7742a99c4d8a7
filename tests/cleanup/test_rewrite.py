"""Address rewriting: the default hook, internal form, header addresses."""

from __future__ import annotations

from pyfix.cleanup.rewrite import (
    default_rewrite,
    externalize,
    fold_header,
    rewrite_header_addresses,
    rewrite_internal,
    token_prefix,
)
from pyfix.smtp.tok822 import parse_addresses

HOOK = default_rewrite("origin.example", "remote.example")


def test_default_hook_qualifies_bare_local_parts() -> None:
    assert HOOK("local", "user") == "user@origin.example"
    assert HOOK("remote", "user") == "user@remote.example"
    assert HOOK("local", "user@example.org") == "user@example.org"
    assert HOOK("local", '"a@b"') == '"a@b"@origin.example'
    assert HOOK("local", "") == ""
    assert HOOK("local", '""') == '""'
    assert HOOK("local", "@") == '""'
    assert default_rewrite("origin.example")("remote", "user") == "user"


def test_rewrite_internal_quotes_and_unquotes() -> None:
    seen: list[str] = []

    def hook(context: str, address: str) -> str:
        seen.append(address)
        return HOOK(context, address)

    assert rewrite_internal(hook, "local", "a b") == "a b@origin.example"
    assert seen == ['"a b"']
    assert rewrite_internal(hook, "local", "") == ""
    assert seen[-1] == '""'


def test_externalize_spacing() -> None:
    """Comments move behind their address, as in Postfix's parse tree."""
    tree = parse_addresses('John "Q." Smith <john@x>, (c) a@b, grp: m@n;, empty:;')
    assert externalize(tree) == 'John "Q." Smith <john@x>, a@b (c), grp: m@n;, empty: ;'
    assert externalize(tree, lines=True).split("\n") == [
        'John "Q." Smith <john@x>,', "a@b (c),", "grp: m@n;,", "empty: ;"]


def test_fold_header_joins_lines_under_70_columns() -> None:
    text = "To: " + ",\n".join(f"user{i:02d}@example.com" for i in range(6))
    assert fold_header(text).split("\n") == [
        "To: user00@example.com, user01@example.com, user02@example.com,",
        "user03@example.com, user04@example.com, user05@example.com",
    ]


def test_token_prefix() -> None:
    assert token_prefix("a, b, c", 3) == "a, b"
    assert token_prefix("a, b, c", 100) == "a, b, c"
    assert token_prefix('"x y" (c (nested)) <a@b>', 2) == '"x y" (c (nested))'
    assert token_prefix(r"a\ b c", 1) == r"a\ b"
    assert token_prefix("a, b", 0) == "a, b"


def test_header_unchanged_is_none() -> None:
    header = b"To: a@example.org, B <b@example.org>"
    assert rewrite_header_addresses(header, 2, HOOK, "local", 10240) is None


def test_header_rebuilt_keeps_the_name_as_written() -> None:
    header = b"cc: (team) alice,bob ,  \"C D\" <cd>"
    got = rewrite_header_addresses(header, 2, HOOK, "local", 10240)
    assert got == (b"cc: alice@origin.example (team), bob@origin.example,\n"
                   b'"C D" <cd@origin.example>')


def test_too_much_comment_text_is_stripped() -> None:
    warnings: list[str] = []
    header = b"To: (" + b"c" * 300 + b") user"
    got = rewrite_header_addresses(header, 2, HOOK, "local", 10240, warnings.append)
    assert got == b"To: <user@origin.example>"
    assert warnings == ["stripping too many comments from address: user@origin.example ("
                        + "c" * 79 + "..."]


def test_token_limit_truncates_rewritten_headers() -> None:
    got = rewrite_header_addresses(b"To: a, b, c, d", 2, HOOK, "local", 4)
    assert got == b"To: a@origin.example, b@origin.example, "
