"""OAUTHBEARER (RFC 7628) and XOAUTH2 with JWTs the tests sign themselves (EdDSA and RS256),
checked by the real server against the public keys of its [oauth] section."""

from __future__ import annotations

import base64
import json
import subprocess
import time

import pytest

from auth_fixtures import AUDIENCE, auth_server  # noqa: F401  (fixture)
from smtp_raw import SMTPConn, expect, make_message, queued_id

ALICE = "alice@example.test"


def b64(data: str | bytes) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def oauthbearer(user: str, token: str) -> str:
    return b64(f"n,a={user},\x01host=127.0.0.1\x01port=465\x01auth=Bearer {token}\x01\x01")


def xoauth2(user: str, token: str) -> str:
    return b64(f"user={user}\x01auth=Bearer {token}\x01\x01")


@pytest.fixture
def conn(auth_server):
    c = SMTPConn(auth_server.port("submissions"), implicit_tls=True)
    expect(c.greeting(), 220)
    c.ehlo()
    yield c
    c.close()


@pytest.mark.parametrize("alg", ["EdDSA", "RS256"])
@pytest.mark.parametrize("mechanism", ["OAUTHBEARER", "XOAUTH2"])
def test_token_logs_in_and_sends(auth_server, conn, mechanism, alg):
    jwt = auth_server.keys.mint(ALICE, alg=alg)
    ir = oauthbearer(ALICE, jwt) if mechanism == "OAUTHBEARER" else xoauth2(ALICE, jwt)
    expect(conn.cmd(f"AUTH {mechanism} {ir}"), 235, "2.7.0", "Authentication successful")
    t = f"tok{int(time.time() * 1000)}{mechanism}{alg}"
    qid = queued_id(conn.send_mail(ALICE, ["friend@remote.example"], make_message(t, sender=ALICE)))
    rec = auth_server.srv.queue_by_id()[qid]
    assert rec["auth"]["account"] == ALICE and rec["auth"]["mechanism"] == mechanism, rec


def refused(conn, mechanism: str, ir: str) -> dict:
    """Sends the AUTH, expects the JSON error challenge, answers as RFC 7628 §3.2.3 (or Google,
    for XOAUTH2) says, expects 535, and returns the JSON."""
    r = conn.cmd(f"AUTH {mechanism} {ir}")
    expect(r, 334)
    body = json.loads(base64.b64decode(r.lines[0]))
    expect(conn.cmd(b64("\x01") if mechanism == "OAUTHBEARER" else ""), 535, "5.7.8",
           "Authentication credentials invalid")
    return body


@pytest.mark.parametrize("mechanism", ["OAUTHBEARER", "XOAUTH2"])
def test_expired_token_is_refused(auth_server, conn, mechanism):
    jwt = auth_server.keys.mint(ALICE, now=int(time.time()) - 3600, ttl=600)
    ir = oauthbearer(ALICE, jwt) if mechanism == "OAUTHBEARER" else xoauth2(ALICE, jwt)
    body = refused(conn, mechanism, ir)
    assert body["status"] == ("invalid_token" if mechanism == "OAUTHBEARER" else "401"), body
    expect(conn.cmd("MAIL FROM:<alice@example.test>"), 530, "5.7.0", "Authentication required")


@pytest.mark.parametrize("claims", [
    {"aud": "someone-else"},
    {"iss": "https://evil.example"},
])
def test_wrong_audience_or_issuer_is_refused(auth_server, conn, claims):
    jwt = auth_server.keys.mint(ALICE, **claims)
    assert refused(conn, "OAUTHBEARER", oauthbearer(ALICE, jwt))["status"] == "invalid_token"


def test_token_from_an_untrusted_key_is_refused(auth_server, conn):
    jwt = auth_server.keys.mint(ALICE, key=auth_server.keys.other_key)
    refused(conn, "OAUTHBEARER", oauthbearer(ALICE, jwt))


def test_tampered_token_is_refused(auth_server, conn):
    jwt = auth_server.keys.mint(ALICE)
    head, claims, sig = jwt.split(".")
    forged = json.loads(base64.urlsafe_b64decode(claims + "=="))
    forged["email"] = forged["sub"] = "bob@example.test"
    claims = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    refused(conn, "XOAUTH2", xoauth2("bob@example.test", f"{head}.{claims}.{sig}"))


def test_token_for_someone_else_is_refused(auth_server, conn):
    jwt = auth_server.keys.mint(ALICE)
    refused(conn, "OAUTHBEARER", oauthbearer("bob@example.test", jwt))


def test_no_token_mechanism_before_tls(auth_server):
    with SMTPConn(auth_server.port("submission")) as c:
        expect(c.greeting(), 220)
        assert "AUTH" not in c.ehlo().keywords()
        expect(c.cmd("AUTH OAUTHBEARER " + oauthbearer(ALICE, auth_server.keys.mint(ALICE))), 530, "5.7.0")


@pytest.mark.parametrize("method", ["oauthbearer", "xoauth2"])
def test_msmtp_with_a_token(auth_server, method):
    jwt = auth_server.keys.mint(ALICE)
    t = f"msmtp{method}{int(time.time() * 1000)}"
    p = subprocess.run(["msmtp", "--host=127.0.0.1", f"--port={auth_server.port('submissions')}", "--tls=on",
                        "--tls-starttls=off", "--tls-certcheck=off", f"--auth={method}", f"--user={ALICE}",
                        f"--passwordeval=echo {jwt}", f"--from={ALICE}", "friend@remote.example"],
                       input=make_message(t, sender=ALICE), capture_output=True, timeout=30)
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    recs = [r for r in auth_server.srv.queue() if t in (r.get("message_id") or "")]
    assert len(recs) == 1 and recs[0]["auth"]["mechanism"] == method.upper(), recs
