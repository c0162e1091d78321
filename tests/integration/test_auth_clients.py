"""SMTP AUTH with real clients against the real binary: gsasl, msmtp, swaks, Python smtplib and
curl, over STARTTLS (587) and implicit TLS (465); what reaches the queue; what never reaches
the disk."""

from __future__ import annotations

import base64
import json
import re
import smtplib
import subprocess
import uuid

import pytest

import postern_harness as h
from auth_fixtures import auth_server, swaks  # noqa: F401  (fixture)
from smtp_raw import SMTPConn, client_context, expect, make_message, queued_id

ALICE, ALICE_PW = "alice@example.test", "alice-secret-1"


def token() -> str:
    return uuid.uuid4().hex[:12]


def record_for(srv: h.Server, t: str) -> dict:
    recs = [r for r in srv.queue() if t in (r.get("message_id") or "")]
    assert len(recs) == 1, f"expected one queued message with token {t}: {recs}"
    return recs[0]


def server_log(srv: h.Server) -> str:
    return srv.stderr_path.read_text(errors="replace")


# -- gsasl --smtp ---------------------------------------------------------------------------

def gsasl(port: int, cafile: str, mechanism: str, user: str, password: str, *extra: str):
    return subprocess.run(["gsasl", "--smtp", "--connect", f"127.0.0.1:{port}", "--starttls",
                           f"--x509-ca-file={cafile}", "-m", mechanism, "-a", user, "-p", password, "--verbose",
                           *extra], capture_output=True, timeout=30, stdin=subprocess.DEVNULL)


# gsasl refuses plain SCRAM on its own when the server offers -PLUS and the TLS channel can be
# bound (it would have to send gs2 "y", which the server rightly takes as a downgrade):
# --no-cb makes it a client without channel binding support, which sends "n".
@pytest.mark.parametrize("mechanism,extra", [
    ("SCRAM-SHA-1", ["--no-cb"]),
    ("SCRAM-SHA-256", ["--no-cb"]),
    ("SCRAM-SHA-256-PLUS", []),  # tls-exporter on TLS 1.3 (RFC 9266)
    ("SCRAM-SHA-1-PLUS", []),
    ("CRAM-MD5", []),
    ("PLAIN", []),
    ("LOGIN", []),
])
def test_gsasl_every_mechanism(auth_server, mechanism, extra):
    srv = auth_server.srv
    p = gsasl(srv.port("submission"), srv.cafile, mechanism, ALICE, ALICE_PW, *extra)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0, f"gsasl {mechanism} failed ({p.returncode}):\n{out}\n{p.stderr.decode()}"
    assert f"AUTH {mechanism}" in out, out
    assert "235 2.7.0 Authentication successful" in out, out
    if mechanism.startswith("SCRAM"):
        # RFC 4954 §4: the server-final-message goes out as a 334 before the 235.
        assert re.search(r"^334 dj[0-3][A-Za-z0-9+/=]+\r?\n\r?\n235 ", out, re.M), out
    assert f"mechanism={mechanism} account={ALICE} credential=password" in server_log(srv)


def test_gsasl_scram_plus_on_tls_1_2_binds_tls_unique(auth_server):
    """On TLS 1.2 there is no tls-exporter: gsasl binds to tls-unique (RFC 5929 §3), and the
    server must compute the same Finished message to accept the proof."""
    srv = auth_server.srv
    p = gsasl(srv.port("submission"), srv.cafile, "SCRAM-SHA-256-PLUS", ALICE, ALICE_PW,
              "--priority=NORMAL:-VERS-TLS1.3")
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0, f"gsasl failed ({p.returncode}):\n{out}\n{p.stderr.decode()}"
    assert "235 2.7.0 Authentication successful" in out, out
    # The client-first message (base64 after "AUTH SCRAM-SHA-256-PLUS " or in the first reply
    # line) starts with the GS2 header naming the channel binding type.
    first = re.search(r"^AUTH SCRAM-SHA-256-PLUS ?(\S*)\r?$", out, re.M)
    candidates = [first.group(1)] if first and first.group(1) else []
    candidates += re.findall(r"^([A-Za-z0-9+/]{20,}={0,2})\r?$", out, re.M)
    decoded = [base64.b64decode(c).decode(errors="replace") for c in candidates]
    assert any(d.startswith("p=tls-unique,") for d in decoded), decoded
    assert f"tls=TLSv1.2 mechanism=SCRAM-SHA-256-PLUS account={ALICE} credential=password" in server_log(srv)


def test_gsasl_scram_with_app_password(auth_server):
    srv = auth_server.srv
    pw = auth_server.app_passwords[f"{ALICE}/phone"]
    p = gsasl(srv.port("submission"), srv.cafile, "SCRAM-SHA-256-PLUS", f"{ALICE}/phone", pw)
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    assert f"mechanism=SCRAM-SHA-256-PLUS account={ALICE} credential=phone" in server_log(srv)


@pytest.mark.parametrize("mechanism,extra", [("SCRAM-SHA-256", ["--no-cb"]), ("PLAIN", []), ("CRAM-MD5", [])])
def test_gsasl_wrong_password_is_535(auth_server, mechanism, extra):
    srv = auth_server.srv
    p = gsasl(srv.port("submission"), srv.cafile, mechanism, ALICE, "wrong-password", *extra)
    out = p.stdout.decode(errors="replace")
    assert p.returncode != 0, out
    assert "535 5.7.8 Authentication credentials invalid" in out, out


# -- msmtp ----------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["scram-sha-256", "plain"])
def test_msmtp_sends_with_auth(auth_server, method):
    srv = auth_server.srv
    t = token()
    p = h.run(["msmtp", "--host=127.0.0.1", f"--port={srv.port('submission')}", "--tls=on", "--tls-starttls=on",
               "--tls-certcheck=off", f"--auth={method}", f"--user={ALICE}", "--passwordeval=echo " + ALICE_PW,
               f"--from={ALICE}", "friend@remote.example"],
              input=make_message(t, sender=ALICE, to="friend@remote.example"), check=False)
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    rec = record_for(srv, t)
    assert rec["auth"] == {"account": ALICE, "credential": "password", "mechanism": method.upper()}, rec


# -- swaks ----------------------------------------------------------------------------------

@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_swaks_starttls(auth_server, mechanism, tmp_path):
    srv = auth_server.srv
    t = token()
    msg = tmp_path / "msg.eml"
    msg.write_bytes(make_message(t, sender=ALICE, to="friend@remote.example"))
    p = swaks(srv.port("submission"), "-tls", "--auth", mechanism, "--auth-user", ALICE, "--auth-password", ALICE_PW,
              "--data", str(msg))
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0, out + p.stderr.decode()
    assert "<~  235 2.7.0 Authentication successful" in out, out
    assert record_for(srv, t)["auth"]["mechanism"] == mechanism


def test_swaks_wrong_password(auth_server):
    srv = auth_server.srv
    p = swaks(srv.port("submissions"), "--tls-on-connect", "--auth", "PLAIN", "--auth-user", ALICE,
              "--auth-password", "nope")
    out = p.stdout.decode(errors="replace")
    assert p.returncode != 0
    assert "<~* 535 5.7.8 Authentication credentials invalid" in out, out


# -- Python smtplib ---------------------------------------------------------------------------

def test_smtplib_465_login_and_send(auth_server):
    srv = auth_server.srv
    t = token()
    with smtplib.SMTP_SSL("127.0.0.1", srv.port("submissions"), context=client_context(srv.cafile), timeout=10) as s:
        s.ehlo("client.example.net")
        offered = s.esmtp_features["auth"].split()
        assert offered[:2] == ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], offered
        assert {"OAUTHBEARER", "XOAUTH2", "CRAM-MD5", "PLAIN", "LOGIN"} <= set(offered), offered
        code, msg = s.login(ALICE, ALICE_PW)  # smtplib picks CRAM-MD5, which alice has
        assert (code, msg) == (235, b"2.7.0 Authentication successful")
        s.sendmail(ALICE, ["friend@remote.example"], make_message(t, sender=ALICE, to="friend@remote.example"))
    rec = record_for(srv, t)
    assert rec["auth"] == {"account": ALICE, "credential": "password", "mechanism": "CRAM-MD5"}, rec


def test_smtplib_587_starttls_app_password(auth_server):
    srv = auth_server.srv
    t = token()
    pw = auth_server.app_passwords[f"{ALICE}/phone"]
    with smtplib.SMTP("127.0.0.1", srv.port("submission"), timeout=10) as s:
        s.ehlo("client.example.net")
        assert not s.has_extn("auth"), f"AUTH offered before TLS: {s.esmtp_features}"
        s.starttls(context=client_context(srv.cafile))
        s.ehlo("client.example.net")
        s.user, s.password = ALICE, pw
        code, _ = s.auth("PLAIN", s.auth_plain)  # ADDRESS + app password: PLAIN finds the credential
        assert code == 235
        s.sendmail(ALICE, ["friend@remote.example"], make_message(t, sender=ALICE, to="friend@remote.example"))
    rec = record_for(srv, t)
    assert rec["auth"] == {"account": ALICE, "credential": "phone", "mechanism": "PLAIN"}, rec
    shown = srv.show(rec["id"])
    assert re.search(r"\bwith ESMTPSA\b", shown), f"RFC 3848 ESMTPSA expected:\n{shown}"


# -- curl -------------------------------------------------------------------------------------

def test_curl_smtp_starttls(auth_server, tmp_path):
    srv = auth_server.srv
    t = token()
    msg = tmp_path / "msg.eml"
    msg.write_bytes(make_message(t, sender=ALICE, to="friend@remote.example"))
    p = h.run(["curl", "-sS", "--ssl-reqd", "-k", f"smtp://127.0.0.1:{srv.port('submission')}",
               "--user", f"{ALICE}:{ALICE_PW}", "--mail-from", ALICE, "--mail-rcpt", "friend@remote.example",
               "-T", str(msg)], check=False)
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    assert record_for(srv, t)["auth"]["account"] == ALICE


def test_curl_wrong_password(auth_server, tmp_path):
    srv = auth_server.srv
    msg = tmp_path / "msg.eml"
    msg.write_bytes(b"Subject: x\r\n\r\nx\r\n")
    p = h.run(["curl", "-sS", "--ssl-reqd", "-k", f"smtp://127.0.0.1:{srv.port('submission')}",
               "--user", f"{ALICE}:wrong", "--mail-from", ALICE, "--mail-rcpt", "friend@remote.example",
               "-T", str(msg)], check=False)
    assert p.returncode == 67, p.stdout.decode() + p.stderr.decode()  # CURLE_LOGIN_DENIED


# -- policy -----------------------------------------------------------------------------------

def test_no_relay_without_auth_and_relay_with_it(auth_server):
    srv = auth_server.srv
    with SMTPConn(srv.port("smtp")) as c:
        expect(c.greeting(), 220)
        kw = c.ehlo().keywords()
        assert "AUTH" not in kw, kw
        expect(c.cmd("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1zZWNyZXQtMQ=="), 530, "5.7.0",
               "Must issue a STARTTLS command first")
        c.starttls()
        c.ehlo()
        expect(c.cmd("MAIL FROM:<alice@example.test>"), 250)
        expect(c.cmd("RCPT TO:<friend@remote.example>"), 554, "5.7.1")
        expect(c.cmd("RSET"), 250)
        expect(c.cmd("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1zZWNyZXQtMQ=="), 235, "2.7.0")
        expect(c.cmd("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1zZWNyZXQtMQ=="), 503, "5.5.1")
        expect(c.cmd("MAIL FROM:<alice@example.test> AUTH=<>"), 250)
        expect(c.cmd("RCPT TO:<friend@remote.example>"), 250, "2.1.5")


def test_exchange_replies_on_the_wire(auth_server):
    srv = auth_server.srv
    with SMTPConn(srv.port("submissions"), implicit_tls=True) as c:
        expect(c.greeting(), 220)
        c.ehlo()
        expect(c.cmd("AUTH LOGIN"), 334)
        expect(c.cmd("*"), 501, "5.7.0", "Authentication cancelled")
        expect(c.cmd("AUTH PLAIN"), 334)
        expect(c.cmd("not base64!"), 501, "5.5.2")
        expect(c.cmd("AUTH PLAIN"), 334)
        expect(c.cmd("A" * 12300), 500, "5.5.6", "Authentication exchange line is too long")
        expect(c.cmd("AUTH DIGEST-MD5"), 504, "5.5.4")
        expect(c.cmd("MAIL FROM:<alice@example.test>"), 530, "5.7.0", "Authentication required")
        expect(c.cmd("NOOP"), 250)


def test_revoked_app_password_stops_working(auth_server):
    srv = auth_server.srv
    pw = auth_server.add_app_password(ALICE, "laptop")

    def login() -> int:
        with smtplib.SMTP_SSL("127.0.0.1", srv.port("submissions"), context=client_context(srv.cafile),
                              timeout=10) as s:
            s.ehlo("client.example.net")
            s.user, s.password = f"{ALICE}/laptop", pw
            try:
                return s.auth("PLAIN", s.auth_plain)[0]
            except smtplib.SMTPAuthenticationError as e:
                return e.smtp_code

    assert login() == 235
    assert login() == 235  # now from the verified-credential cache
    srv.cli("credential", "revoke", ALICE, "laptop")
    assert login() == 535
    assert "credential=laptop" in server_log(srv)


def test_no_clear_password_on_disk(auth_server):
    """Every password used above, searched for in every file of the server's directory
    (data dir, queue, database, WAL, logs)."""
    srv = auth_server.srv
    secrets = [ALICE_PW, "bob-secret-2", *auth_server.app_passwords.values()]
    found = []
    for f in srv.dir.rglob("*"):
        if not f.is_file():
            continue
        data = f.read_bytes()
        for s in secrets:
            if s.encode() in data:
                found.append((str(f), s))
    assert not found, f"clear-text passwords on disk: {found}"
