"""DESIGN §3.6 with the real binary: after AUTH, the envelope sender must be one of the identity's
addresses (the account's own and its aliases, narrowed by an app password's --senders), else
`553 5.7.1` and nothing is queued."""

from __future__ import annotations

import base64
import json
import uuid

from auth_fixtures import auth_server, swaks  # noqa: F401  (fixture)
from smtp_raw import SMTPConn, expect, make_message

ALICE, ALICE_PW = "alice@example.test", "alice-secret-1"
REMOTE = "friend@remote.example"


def token() -> str:
    return uuid.uuid4().hex[:12]


def queued_with(srv, t: str) -> list[dict]:
    return [r for r in srv.queue() if t in (r.get("message_id") or "")]


def send(auth_server, tmp_path, sender: str, user: str = ALICE, password: str = ALICE_PW):
    """swaks: STARTTLS on submission, AUTH PLAIN as `user`, MAIL FROM `sender`. Returns the
    transcript, the exit code and the queue records of the message (by its token)."""
    srv = auth_server.srv
    t = token()
    msg = tmp_path / f"{t}.eml"
    msg.write_bytes(make_message(t, sender=sender, to=REMOTE))
    p = swaks(srv.port("submission"), "-tls", "--auth", "PLAIN", "--auth-user", user, "--auth-password", password,
              "--from", sender, "--data", str(msg))
    out = p.stdout.decode(errors="replace")
    assert "<~  235 2.7.0 Authentication successful" in out, out
    return out, p.returncode, queued_with(srv, t)


def assert_queued(result, account: str = ALICE, credential: str = "password"):
    out, code, records = result
    assert code == 0, out
    assert "<~  250 2.1.0 Sender OK" in out, out
    assert len(records) == 1, f"expected one queued message: {records}\n{out}"
    assert records[0]["auth"] == {"account": account, "credential": credential, "mechanism": "PLAIN"}, records[0]


def assert_refused(result):
    out, code, records = result
    assert code != 0, out
    assert "<~* 553 5.7.1 Sender address not owned by user" in out, out
    assert "RCPT TO" not in out, f"swaks went on after the refused MAIL:\n{out}"
    assert records == [], f"a refused sender must queue nothing: {records}"


def test_own_address_is_queued(auth_server, tmp_path):
    result = send(auth_server, tmp_path, ALICE)
    assert_queued(result)
    assert result[2][0]["sender"] == ALICE, result[2][0]


def test_own_address_in_another_case_is_queued(auth_server, tmp_path):
    assert_queued(send(auth_server, tmp_path, "Alice@EXAMPLE.test"))


def test_someone_elses_address_is_553_and_nothing_is_queued(auth_server, tmp_path):
    assert_refused(send(auth_server, tmp_path, "someone-else@example.test"))
    # Another account's address is not hers either.
    assert_refused(send(auth_server, tmp_path, "bob@example.test"))


def test_null_sender_after_auth_is_553(auth_server):
    srv = auth_server.srv
    plain = base64.b64encode(b"\0" + ALICE.encode() + b"\0" + ALICE_PW.encode()).decode()
    with SMTPConn(srv.port("submission")) as c:
        expect(c.greeting(), 220)
        c.ehlo()
        c.starttls()
        c.ehlo()
        expect(c.cmd("AUTH PLAIN " + plain), 235, "2.7.0")
        expect(c.cmd("MAIL FROM:<>"), 553, "5.7.1", "Sender address not owned by user")
        expect(c.cmd("RCPT TO:<friend@remote.example>"), 503, "5.5.1")  # no transaction was opened
        expect(c.cmd("MAIL FROM:<alice@example.test>"), 250, "2.1.0")


def test_alias_added_while_running_may_send(auth_server, tmp_path):
    srv = auth_server.srv
    assert_refused(send(auth_server, tmp_path, "alice.smith@example.test"))
    srv.cli("user", "alias", "add", "alice.smith@example.test", ALICE)
    result = send(auth_server, tmp_path, "alice.smith@example.test")
    assert_queued(result)
    assert result[2][0]["sender"] == "alice.smith@example.test", result[2][0]


def test_app_password_limited_to_one_sender(auth_server, tmp_path):
    srv = auth_server.srv
    srv.cli("user", "alias", "add", "shop@example.test", ALICE)
    out = srv.cli("credential", "add", ALICE, "--name", "webshop", "--senders", "shop@example.test",
                  "--json").stdout
    pw = json.loads(out.decode().strip().splitlines()[-1])["password"]
    # The limited credential: only shop@, not the account's own address.
    assert_queued(send(auth_server, tmp_path, "shop@example.test", user=f"{ALICE}/webshop", password=pw),
                  credential="webshop")
    assert_refused(send(auth_server, tmp_path, ALICE, user=f"{ALICE}/webshop", password=pw))
    # Logging in with the bare address finds the same credential and the same limit.
    assert_refused(send(auth_server, tmp_path, ALICE, user=ALICE, password=pw))
    # The account password is not limited.
    assert_queued(send(auth_server, tmp_path, "shop@example.test"))
    assert_queued(send(auth_server, tmp_path, ALICE))
