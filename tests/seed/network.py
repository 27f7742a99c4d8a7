"""The notebook's two servers, configured with its own main.cf lines.

The DMZ server (127.0.0.2) relays the organisation's domain to the
internal server with the notebook's transport(5) lines; the internal
server (127.0.0.3) sends everything it does not deliver itself to the
DMZ host with relayhost and fallback_transport.  Users on the internal
server are aliases that deliver to files (so that no passwd users are
needed): okada, and root -> okada.
"""

from __future__ import annotations

import mailbox
import os
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

from tests.instance import Instance, pyfix_command, wait_for
from tests.seed.topology import (
    DMZ_HOST,
    DOMAIN,
    INTERNAL_HOST,
    Internet,
    Seed,
    postmap,
)

BOTH_LINES = "hogehoge.example smtp:[127.0.0.3]:{port}\n.hogehoge.example smtp:[127.0.0.3]:{port}\n"


@dataclass
class Network:
    seed: Seed
    internet: Internet
    dmz: Instance
    internal: Instance
    mail_dir: Path

    def mbox(self, user: str) -> list[EmailMessage]:
        path = self.mail_dir / user
        if not path.exists():
            return []
        parser = BytesParser(policy=default_policy)
        return [parser.parsebytes(m.as_bytes())
                for m in mailbox.mbox(str(path), create=False)]

    def wait_mbox(self, user: str, subject: str, timeout: float = 30) -> EmailMessage:
        def find() -> EmailMessage | None:
            for message in self.mbox(user):
                if subject in str(message.get("Subject", "")):
                    return message
            return None
        if not wait_for(lambda: find() is not None, timeout):
            raise AssertionError(f"no {subject!r} for {user}:\n{self.internal.maillog()}")
        found = find()
        assert found is not None
        return found


def build_network(seed: Seed) -> Network:
    internet = seed.internet()
    mail_dir = seed.base / "mail"
    mail_dir.mkdir()
    os.chmod(mail_dir, 0o1777)  # file deliveries run as default_privs
    internal = seed.server(
        INTERNAL_HOST, f"int.{DOMAIN}",
        # The notebook's lines for the internal server.
        "mydestination = $myhostname, localhost.$mydomain, $mydomain\n"
        "myorigin = $mydomain\n"
        "local_recipient_maps =\n"
        f"relayhost = [{DMZ_HOST}]:{{dmz_port}}\n"
        f"fallback_transport = smtp:[{DMZ_HOST}]:{{dmz_port}}\n"
        "alias_maps = hash:$config_directory/aliases\n"
        "alias_database = hash:$config_directory/aliases\n",
        start=False)
    dmz = seed.server(
        DMZ_HOST, "gw.dmz.example",
        "mydestination = $myhostname, localhost\n"
        "myorigin = $mydomain\n"
        "relay_domains = $mydomain\n"
        # The notebook's transport map.
        "transport_maps = hash:$config_directory/transport\n"
        # S6: unknown local users go to the same name at another domain.
        "local_recipient_maps =\n"
        "luser_relay = $user@aaa.example\n"
        f"smtp_tcp_port = {internet.port}\n",
        # A user who left the internal server gets mail elsewhere (transport(5)
        # looks up the full address first): the internal server's
        # fallback_transport relays it here, and it must not come back.
        files={"transport": f"gone@{DOMAIN} smtp:{internet.nexthop}\n"
                            + BOTH_LINES.format(port=internal.port)},
        start=False)
    main_cf = internal.etc / "main.cf"
    main_cf.write_text(main_cf.read_text().replace("{dmz_port}", str(dmz.port)))
    (internal.etc / "aliases").write_text(f"root: okada\nokada: {mail_dir}/okada\n")
    internal.spool.mkdir()  # newaliases works in the queue directory
    result = pyfix_command("newaliases", internal.etc)
    assert result.returncode == 0, result.stderr
    postmap(dmz, f"hash:{dmz.etc}/transport")
    internal.start()
    dmz.start()
    return Network(seed, internet, dmz, internal, mail_dir)
