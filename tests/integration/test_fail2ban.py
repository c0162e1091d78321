"""The fail2ban filter in packaging/ over a real event log: the server writes its JSON events to
a file while real clients (gsasl, smtplib) fail with every mechanism, and `fail2ban-regex`
must find exactly those failures, with the client's address."""

from __future__ import annotations

import base64
import json
import re
import shutil
import smtplib
import subprocess
from pathlib import Path

import pytest

import postern_harness as h
from auth_fixtures import AUTH_TOML, TokenKeys
from smtp_raw import client_context
from test_auth_external import CertificateAuthority, CertServer

ALICE = "alice@example.test"
FILTER = Path(__file__).resolve().parents[2] / "packaging" / "fail2ban" / "filter.d" / "postern.conf"


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    base = tmp_path_factory.mktemp("postern-fail2ban")
    keys = TokenKeys(base / "keys")
    ca = CertificateAuthority(base / "ca", "Fail2ban Test CA")
    unknown = ca.issue("unknown", "email:nobody@example.test")
    log = base / "events.log"
    srv = CertServer(base / "srv", accounts={}, smtp_trusted=[], submission_trusted=[],
                     extra_toml=AUTH_TOML + f'client_ca = "{ca.cert}"\n\n' + keys.toml())
    # event_log is a top-level key: it goes before the first table.
    srv.config.write_text(f'event_log = "{log}"\n' + srv.config.read_text())
    srv.cli("user", "add", ALICE, "--password-stdin", "--cram-md5", input=b"alice-secret-1\n")
    srv.start()
    yield srv, keys, unknown, log
    srv.stop()


def gsasl_fails(srv: h.Server, mechanism: str, *extra: str) -> None:
    p = subprocess.run(["gsasl", "--smtp", "--connect", f"127.0.0.1:{srv.port('submission')}", "--starttls",
                        f"--x509-ca-file={srv.cafile}", "-m", mechanism, "-a", ALICE, "-p", "wrong-password",
                        *extra], capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode != 0, f"gsasl {mechanism} logged in with a wrong password"
    assert b"535" in p.stdout + p.stderr, (p.stdout + p.stderr).decode()


def smtp(srv: h.Server, cert: tuple[Path, Path] | None = None) -> smtplib.SMTP:
    ctx = client_context(srv.cafile)
    if cert:
        ctx.load_cert_chain(*map(str, cert))
    s = smtplib.SMTP("127.0.0.1", srv.port("submission"), local_hostname="client.example", timeout=30)
    s.ehlo()
    s.starttls(context=ctx)
    s.ehlo()
    return s


def test_fail2ban_regex_finds_every_failed_mechanism(logged):
    srv, keys, unknown, log = logged
    gsasl_fails(srv, "PLAIN")
    gsasl_fails(srv, "LOGIN")
    gsasl_fails(srv, "CRAM-MD5")
    gsasl_fails(srv, "SCRAM-SHA-1", "--no-cb")
    gsasl_fails(srv, "SCRAM-SHA-256", "--no-cb")
    gsasl_fails(srv, "SCRAM-SHA-256-PLUS")
    bad_token = keys.mint(ALICE, key=keys.other_key)  # signed by a key the server does not trust
    with smtp(srv) as s:
        gs2 = f"n,a={ALICE},\x01auth=Bearer {bad_token}\x01\x01".encode()
        code, _ = s.docmd("AUTH", "OAUTHBEARER " + base64.b64encode(gs2).decode())
        assert code == 334
        code, _ = s.docmd(base64.b64encode(b"\x01").decode())
        assert code == 535
    with smtp(srv) as s:
        x = f"user={ALICE}\x01auth=Bearer {bad_token}\x01\x01".encode()
        code, _ = s.docmd("AUTH", "XOAUTH2 " + base64.b64encode(x).decode())
        assert code == 334
        code, _ = s.docmd("")
        assert code == 535
    with smtp(srv, unknown) as s:
        code, _ = s.docmd("AUTH", "EXTERNAL =")
        assert code == 535
    # A successful login and a hostile login name must not match.
    with smtp(srv) as s:
        s.login(ALICE, "alice-secret-1")
    with smtp(srv) as s:
        evil = '","client_ip":"203.0.113.66","x":"'
        code, _ = s.docmd("AUTH", "PLAIN " + base64.b64encode(f"\0{evil}\0pw".encode()).decode())
        assert code == 535

    assert shutil.which("fail2ban-regex"), "fail2ban-regex (Debian package fail2ban) is not installed"
    p = subprocess.run(["fail2ban-regex", "--print-all-matched", str(log), str(FILTER)],
                       capture_output=True, timeout=120)
    out = p.stdout.decode()
    assert p.returncode == 0, out + p.stderr.decode()
    failed = [line for line in log.read_text().splitlines() if '"result":"failed"' in line]
    mechanisms = {re.search(r'"mechanism":"([^"]*)"', line).group(1) for line in failed}
    assert mechanisms == {"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS",
                          "OAUTHBEARER", "XOAUTH2", "EXTERNAL"}, mechanisms
    # Each failure names the account whose password was tried, and why it failed.
    for line in failed:
        e = json.loads(line)
        if e["login"] == ALICE and e["mechanism"] not in ("OAUTHBEARER", "XOAUTH2"):
            assert (e["account"], e["reason"]) == (ALICE, "wrong password"), e
    m = re.search(r"Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed", out)
    assert m, out
    assert int(m.group(3)) == len(failed) == 10, out
    # The address of every match is the socket's: the one a login name tried to inject is never found.
    ips = subprocess.run(["fail2ban-regex", "-o", "ip", str(log), str(FILTER)], capture_output=True,
                         timeout=120).stdout.decode().split()
    assert ips == ["127.0.0.1"] * 10, ips
