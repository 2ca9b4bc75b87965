"""`eapcase intake imap --once` against a real Dovecot on the loopback: a private instance
(its own configuration, passwd-file user and maildir under a temporary directory, plain IMAP
on a free port, as the command's `--security plain` allows for a loopback server). Skipped
when Dovecot is not installed (`.ci/run` installs dovecot-imapd)."""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command

from eapcase.intake.imap import internaldate_parse, settings_from_env
from eapcase.intake.models import InboundMessage
from eapcase.outreach.models import Email
from tests.factories import obligation, utc
from tests.intake.conftest import World, eml

DOVECOT = Path("/usr/sbin/dovecot")
USER, PASSWORD = "intake", "imap-test-password"
NOW = utc(2, 10, 30)


@dataclass(frozen=True)
class Imap:
    host: str
    port: int

    def connect(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def deliver(self, raw: bytes, received: datetime) -> None:
        client = self.connect()
        try:
            status, _ = client.append("INBOX", "", imaplib.Time2Internaldate(received), raw)
            assert status == "OK"
        finally:
            client.logout()

    def unseen(self) -> list[bytes]:
        client = self.connect()
        try:
            client.select("INBOX")
            _, data = client.search(None, "UNSEEN")
            return data[0].split()
        finally:
            client.logout()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(root: Path, port: int) -> str:
    """Dovecot's configuration: no system file is read. As root, mail is owned by `nobody`
    (Dovecot refuses to serve mail as root); otherwise every process runs as the current user,
    without chroot."""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        uid, gid = nobody.pw_uid, nobody.pw_gid
        users = ""
        chroot = ""
    else:
        uid, gid = os.getuid(), os.getgid()
        name, group = pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name
        users = (
            f"default_login_user = {name}\ndefault_internal_user = {name}\n"
            f"default_internal_group = {group}\n"
        )
        chroot = "  chroot =\n"  # only root may chroot
    home = root / "home"
    home.mkdir()
    os.chown(home, uid, gid)
    return f"""protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
{users}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/%u
}}
mail_location = maildir:~/Maildir
service anvil {{
{chroot}}}
service imap-login {{
{chroot}  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@pytest.fixture
def dovecot() -> Iterator[Imap]:
    if not DOVECOT.exists():
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd; .ci/run does)")
    root = Path(tempfile.mkdtemp(prefix="eapcase-dovecot-"))
    root.chmod(0o755)  # the login and mail processes run as other users
    port = _free_port()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    (root / "dovecot.conf").write_text(_config(root, port))
    # The application's settings make files owner-only (umask 077, ADR 0015); Dovecot's auth
    # and mail processes run as other users and must read these test files.
    for path in (root / "passwd", root / "dovecot.conf"):
        path.chmod(0o644)
    process = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (
                        (root / "dovecot.log").read_text()
                        if (root / "dovecot.log").exists()
                        else ""
                    )
                    output = process.stdout.read().decode() if process.stdout else ""
                    pytest.fail(f"Dovecot did not start:\n{output}\n{log}")
                time.sleep(0.1)
        yield Imap("127.0.0.1", port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_env(dovecot: Imap, monkeypatch: pytest.MonkeyPatch) -> Imap:
    monkeypatch.setenv("EAPCASE_IMAP_HOST", dovecot.host)
    monkeypatch.setenv("EAPCASE_IMAP_PORT", str(dovecot.port))
    monkeypatch.setenv("EAPCASE_IMAP_USER", USER)
    monkeypatch.setenv("EAPCASE_IMAP_PASSWORD", PASSWORD)
    monkeypatch.delenv("EAPCASE_IMAP_SECURITY", raising=False)
    monkeypatch.delenv("EAPCASE_IMAP_FOLDER", raising=False)
    return dovecot


def _poll() -> str:
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("intake", "imap", "--once", "--security", "plain", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_message_in_the_mailbox_arrives_on_its_case_from_the_servers_receipt(
    world: World, imap_env: Imap
) -> None:
    received = utc(2, 10, 0)  # the server's INTERNALDATE, before the poll at NOW
    imap_env.deliver(eml("plain_participant.eml"), received)
    assert _poll() == "1 fetched, 1 stored, 0 duplicates, 0 failed\n"
    message = InboundMessage.objects.get()
    email = Email.objects.get()
    assert (message.source, message.received_at, message.ingested_at, message.status) == (
        "imap",
        received,
        NOW,
        "linked",
    )
    assert bytes(message.raw).replace(b"\r\n", b"\n") == eml("plain_participant.eml").replace(
        b"\r\n", b"\n"
    )
    assert (email.case_id, email.received_at) == (world.case.pk, received)
    assert obligation(world.case, "CM-EMAIL-ACK", email.event_id).due_at == utc(3, 10)
    # Marked seen once stored: the next poll finds nothing.
    assert imap_env.unseen() == []
    assert _poll() == "0 fetched, 0 stored, 0 duplicates, 0 failed\n"


@pytest.mark.django_db
def test_a_message_delivered_twice_to_the_mailbox_is_one_email(
    world: World, imap_env: Imap
) -> None:
    imap_env.deliver(eml("duplicate_a.eml"), utc(2, 10, 0))
    imap_env.deliver(eml("duplicate_b.eml"), utc(2, 10, 1))
    assert _poll() == "2 fetched, 1 stored, 1 duplicates, 0 failed\n"
    assert (InboundMessage.objects.count(), Email.objects.count(), imap_env.unseen()) == (1, 1, [])


@pytest.mark.django_db
def test_a_wrong_password_fails_the_command(world: World, imap_env: Imap, monkeypatch: Any) -> None:
    monkeypatch.setenv("EAPCASE_IMAP_PASSWORD", "wrong")
    with pytest.raises(CommandError, match="IMAP poll failed"):
        _poll()


@pytest.mark.nodb
def test_tls_is_the_default_and_settings_come_from_the_environment() -> None:
    settings = settings_from_env(
        {
            "EAPCASE_IMAP_HOST": "imap.example.test",
            "EAPCASE_IMAP_USER": "u",
            "EAPCASE_IMAP_PASSWORD": "p",
        }
    )
    assert (settings.security, settings.port, settings.folder) == ("ssl", 993, "INBOX")
    assert "s3cret-pw" not in repr(settings)


@pytest.mark.nodb
def test_internaldate_parsing() -> None:
    assert internaldate_parse("02-Mar-2026 10:00:00 +0000") == utc(2, 10)
    assert internaldate_parse(" 2-Mar-2026 11:00:00 +0100") == utc(2, 10)
    assert internaldate_parse("nonsense") is None
