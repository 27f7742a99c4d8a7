"""NAME
    pyfix.rewrite.rewrite - trivial-rewrite's address rewriting

SUMMARY
    Rewriter, LOCAL, REMOTE

DESCRIPTION
    Rewriter.rewrite_addr(context, address) turns an address in external
    (quoted) form into the standard user@fully.qualified.domain form,
    and returns it in external form, as trivial-rewrite(8) does for a
    "rewrite" request.  rewrite_tokens() applies the same rules to a
    token list; the resolver uses it between its rounds.

    The rules, in order:

    - an empty address ("" or "<>" in SMTP) stays empty, and a lone "@"
      becomes the empty address "";
    - a source route is removed: "@a,@b:user@domain" -> "user@domain";
    - when no "@" is left (outside quotes and brackets):
        with swap_bangpath, "host!user" -> "user@host" (at the first "!");
        else with allow_percent_hack, "user%domain" -> "user@domain"
          (at the last "%");
        else with append_at_myorigin, "user" -> "user@$myorigin";
    - with append_dot_mydomain, ".$mydomain" is added to a domain that
      has no "." and is not a domain literal ("user@host" ->
      "user@host.$mydomain"), but not to a form that ends in "@";
    - one trailing "." is removed ("user@host." -> "user@host"), but not
      from "..", "@." or an address without a domain.

    Two rewriting contexts give the domains: LOCAL ("local") uses
    $myorigin and $mydomain; REMOTE ("remote") uses
    $remote_header_rewrite_domain for both, so that with an empty
    remote_header_rewrite_domain nothing is appended.

    Postfix logs an information message when append_dot_mydomain is in
    effect only through the compatibility_level default; Rewriter does
    the same, through its info callback.

    Parameters read: myorigin, mydomain, remote_header_rewrite_domain,
    swap_bangpath, allow_percent_hack, append_at_myorigin,
    append_dot_mydomain, compatibility_level.

DIAGNOSTICS
    "rewrite_addr: null address" (a warning) for an empty address.
    ValueError for a context other than "local" and "remote".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyfix.config.compat import compat_default
from pyfix.config.store import Config
from pyfix.log.msg import msg_info, msg_warn
from pyfix.rewrite.reply import AddressClass
from pyfix.rewrite.tokens import DOMLIT, QSTRING, WORDS, AddressTokens, Token, scan

LOCAL = "local"
REMOTE = "remote"
CONTEXTS = (LOCAL, REMOTE)


@dataclass(frozen=True)
class RewriteContext:
    """The domains that complete an incomplete address."""

    origin: str
    domain: str


def compat_default_append_dot_mydomain(config: Config) -> bool:
    """True when append_dot_mydomain=yes holds only by compatibility_level < 1."""
    return compat_default(config, "append_dot_mydomain", "1")


class Rewriter:
    """trivial-rewrite's "rewrite" service, with the settings of config."""

    def __init__(
        self,
        config: Config,
        *,
        resolve_class: Callable[[str], AddressClass | None] | None = None,
        info: Callable[[str], None] = msg_info,
        warn: Callable[[str], None] = msg_warn,
    ) -> None:
        remote = config.get("remote_header_rewrite_domain")
        self.contexts = {
            LOCAL: RewriteContext(config.get("myorigin"), config.get("mydomain")),
            REMOTE: RewriteContext(remote, remote),
        }
        self.mydomain = config.get("mydomain")
        self.swap_bangpath = config.get_bool("swap_bangpath")
        self.percent_hack = config.get_bool("allow_percent_hack")
        self.append_at_myorigin = config.get_bool("append_at_myorigin")
        self.append_dot_mydomain = config.get_bool("append_dot_mydomain")
        self.warn_compat = self.append_dot_mydomain and compat_default_append_dot_mydomain(
            config)
        self.resolve_class = resolve_class
        self.info = info
        self.warn = warn

    # Public interface ----------------------------------------------------

    def rewrite_addr(self, context: str, address: str) -> str:
        """Rewrite an external-form address; return the external form."""
        if context not in self.contexts:
            raise ValueError(f"unknown context: {context}")
        if not address:
            self.warn("rewrite_addr: null address")
            return address
        tree = AddressTokens.scan(address)
        self.rewrite_tokens(context, tree)
        return tree.externalize()

    def rewrite_tokens(self, context: str, tree: AddressTokens) -> None:
        """Apply the rewriting rules to one address's tokens, in place."""
        if not tree:
            raise ValueError("rewrite_tokens: empty token list")
        ctx = self.contexts[context]
        empty = tree.single(QSTRING)
        if empty is not None and not empty.text:
            return
        if tree.single("@") is not None:
            tree.keep_before(0)
            tree.append([Token(QSTRING, "")])
            return
        self._strip_source_route(tree)
        if tree.rfind("@") < 0:
            self._complete_local_part(tree, ctx)
        self._append_dot_mydomain(tree, ctx)
        self._strip_trailing_dot(tree)

    # Rules ---------------------------------------------------------------

    @staticmethod
    def _strip_source_route(tree: AddressTokens) -> None:
        if tree.tokens[0].type != "@":
            return
        colon = tree.find(":")
        if colon >= 0 and colon != len(tree) - 1:
            tree.keep_after(colon)

    def _complete_local_part(self, tree: AddressTokens, ctx: RewriteContext) -> None:
        bang = tree.find("!") if self.swap_bangpath else -1
        percent = tree.rfind("%") if self.percent_hack and bang < 0 else -1
        if bang >= 0:
            local = tree.keep_before(bang)[1:]
            tree.prepend([Token("@")])
            if local:
                tree.prepend(local)
        elif percent >= 0:
            tree.tokens[percent].type = "@"
        elif self.append_at_myorigin and ctx.origin:
            tree.append([Token("@")])
            tree.append(scan(ctx.origin))

    def _append_dot_mydomain(self, tree: AddressTokens, ctx: RewriteContext) -> None:
        if not self.append_dot_mydomain or not ctx.domain:
            return
        at = tree.rfind("@")
        if at < 0 or at == len(tree) - 1:
            return
        if tree.find(DOMLIT, at) >= 0 or tree.find(".", at) >= 0:
            return
        if self.warn_compat:
            self._log_compat(tree.tokens[at + 1])
        tree.append([Token(".")])
        tree.append(scan(ctx.domain))

    def _log_compat(self, first: Token) -> None:
        if first.type not in WORDS:
            return
        name = first.text
        if name.lower() != "localhost":
            self.info("using backwards-compatible default setting append_dot_mydomain=yes "
                      f'to rewrite "{name}" to "{name}.{self.mydomain}"')
        elif self.resolve_class is not None and self.resolve_class(name) is AddressClass.DEFAULT:
            self.info("using backwards-compatible default setting append_dot_mydomain=yes "
                      f'to rewrite "{name}" to "{name}.{self.mydomain}"; please add '
                      '"localhost" to mydestination or other address class')

    @staticmethod
    def _strip_trailing_dot(tree: AddressTokens) -> None:
        tokens = tree.tokens
        if len(tokens) >= 2 and tokens[-1].type == "." and tokens[-2].type not in (".", "@"):
            tree.keep_before(len(tokens) - 1)

