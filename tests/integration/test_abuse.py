"""Brute-force defence across connections against the real binary (docs/security.md): per
address and network, per account without locking the real user out, lockout list/clear, and the
JSON events and alerts that go with them. Windows are short so the tests run in seconds; the
loopback exemption is off so that 127.0.0.0/8 addresses can play attacker and victim."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time

import pytest

import postern_harness as h
from smtp_raw import Closed, SMTPConn, expect

ALICE, ALICE_PW = "alice@example.test", "alice-secret-1"
BOB, BOB_PW = "bob@example.test", "bob-secret-2"


def plain(user: str, password: str) -> str:
    return "AUTH PLAIN " + base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()


def events(srv: h.Server, kind: str | None = None) -> list[dict]:
    """The JSON events the server wrote to standard error so far."""
    out = []
    for line in srv.stderr_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            e = json.loads(line)  # every JSON line must parse
            if kind is None or e["event"] == kind:
                out.append(e)
    return out


def login(srv: h.Server, source: str, user: str, password: str):
    """Connects from `source` to the submission port, STARTTLS, AUTH PLAIN. Returns the greeting
    when the connection is refused, else the AUTH reply."""
    c = SMTPConn(srv.port("submission"), source=source, cafile=srv.cafile)
    try:
        greeting = c.greeting()
        if greeting.code != 220:
            return greeting
        c.ehlo()
        expect(c.starttls(), 220)
        c.ehlo()
        return c.cmd(plain(user, password))
    finally:
        c.close()


def attack(srv: h.Server, source: str, user: str, attempts: int, password=lambda i: f"guess-{i}"):
    """`attempts` wrong passwords from `source`, three per connection (the per-connection
    limit), reconnecting as needed. Returns the replies by code."""
    codes: dict[int, int] = {}
    i = 0
    while i < attempts:
        try:
            c = SMTPConn(srv.port("submission"), source=source, cafile=srv.cafile)
        except OSError:
            codes[-1] = codes.get(-1, 0) + 1
            i += 1
            continue
        try:
            greeting = c.greeting()
            if greeting.code != 220:
                codes[greeting.code] = codes.get(greeting.code, 0) + 1
                i += 1
                continue
            c.ehlo()
            expect(c.starttls(), 220)
            c.ehlo()
            for _ in range(3):
                if i >= attempts:
                    break
                reply = c.cmd(plain(user, password(i)))
                codes[reply.code] = codes.get(reply.code, 0) + 1
                i += 1
                if reply.code != 535:
                    break
        except Closed:
            pass
        finally:
            c.close()
    return codes


ABUSE = """
[auth]
failure_delay = "0s"
[abuse]
exempt_loopback = false
address_failures = 10
address_window = "20s"
network_failures = 1000
network_window = "20s"
account_slow_failures = {slow}
account_protect_failures = {protect}
account_window = "60s"
slow_delay = "1s"
connections_per_minute = 0
alert_hook = "{hook}"
"""


def start_abuse_server(tmp_path, slow: int = 10, protect: int = 40) -> h.Server:
    hook_out = tmp_path / "alerts.jsonl"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ncat >> {hook_out}\necho >> {hook_out}\n")
    hook.chmod(0o755)
    toml = ABUSE.replace("{hook}", str(hook)).replace("{slow}", str(slow)).replace("{protect}", str(protect))
    srv = h.Server(tmp_path / "srv", smtp_trusted=[], submission_trusted=[], extra_toml=toml)
    srv.hook_out = hook_out
    return srv.start()


@pytest.fixture()
def abuse_server(tmp_path):
    srv = start_abuse_server(tmp_path)
    yield srv
    srv.stop()


@pytest.fixture()
def spray_server(tmp_path):
    srv = start_abuse_server(tmp_path, slow=5, protect=20)
    yield srv
    srv.stop()


def test_a_thousand_guesses_from_one_address_are_throttled_while_another_logs_in(abuse_server):
    srv = abuse_server
    started = time.monotonic()
    codes = attack(srv, "127.0.1.1", ALICE, 1000)
    # At most the limit's worth of guesses were checked; the rest were refused without a check.
    assert codes.get(535, 0) <= 11, codes
    assert codes.get(535, 0) >= 10, codes
    refused = codes.get(421, 0) + codes.get(454, 0)
    assert refused >= 1000 - 11, codes
    assert time.monotonic() - started < 120
    # The refusal is a 4xx with the reason, at connect.
    reply = login(srv, "127.0.1.1", ALICE, ALICE_PW)
    expect(reply, 421, "4.7.0", "Too many failed logins from your address, try again later")
    # Another address logs in at once.
    started = time.monotonic()
    expect(login(srv, "127.0.2.1", ALICE, ALICE_PW), 235)
    assert time.monotonic() - started < 1.5
    # The events say what happened, and the alert hook ran.
    failed = [e for e in events(srv, "auth") if e["result"] == "failed"]
    assert len(failed) == codes[535]
    assert all(e["client_ip"] == "127.0.1.1" and e["login"] == ALICE and e["reply"] == "535 5.7.8" for e in failed)
    refused_events = [e for e in events(srv, "connection_refused") if e["reason"] == "address throttled"]
    assert len(refused_events) == codes.get(421, 0) + 1  # the attack's, and the right password's after it
    lockouts = events(srv, "lockout")
    assert any(e["scope"] == "address" and e["key"] == "127.0.1.1" for e in lockouts), lockouts
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "127.0.1.1" not in (srv.hook_out.read_text() if srv.hook_out.exists() else ""):
        time.sleep(0.1)
    alerts = [json.loads(line) for line in srv.hook_out.read_text().splitlines() if line.strip()]
    assert any(a["event"] == "alert" and a["kind"] == "auth_failure_burst" and a["subject"] == "127.0.1.1"
               for a in alerts), alerts


def wait_for(predicate, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_lockout_list_and_clear(abuse_server):
    srv = abuse_server
    attack(srv, "127.0.6.1", ALICE, 12)
    expect(login(srv, "127.0.6.1", ALICE, ALICE_PW), 421, "4.7.0")

    def listed():
        out = json.loads(srv.cli("lockout", "list", "--json").stdout.decode())
        rows = out if isinstance(out, list) else out.get("lockouts", [])
        return [r for r in rows if r["key"] == "127.0.6.1" and r["scope"] == "address"]

    rows = wait_for(listed, what="the lockout to be listed")
    assert rows[0]["failures"] >= 10
    srv.cli("lockout", "clear", "127.0.6.1")
    assert not listed()
    wait_for(lambda: login(srv, "127.0.6.1", ALICE, ALICE_PW).code == 235, what="the cleared address to log in")
    audit = srv.cli("audit", "--json").stdout.decode()
    assert "127.0.6.1" in audit and "lockout" in audit


def test_a_stale_saved_password_does_not_escalate(abuse_server):
    """A phone retrying the same wrong password 30 times is not an attacker: every attempt gets
    535 (never a lockout), and the right password then works from that address at once."""
    srv = abuse_server
    codes = attack(srv, "127.0.3.1", ALICE, 30, password=lambda i: "old-password")
    assert codes == {535: 30}, codes
    expect(login(srv, "127.0.3.1", ALICE, ALICE_PW), 235)


def test_a_password_sprayed_from_50_addresses_slows_the_account_but_not_its_user(spray_server):
    srv = spray_server
    # Bob's own client has logged in from its usual address before.
    expect(login(srv, "127.0.4.1", BOB, BOB_PW), 235)
    # 50 addresses in different /24s, two different guesses each: 100 guesses at bob's password.
    for n in range(50):
        codes = attack(srv, f"127.0.{10 + n}.1", BOB, 2, password=lambda i, n=n: f"spray-{n}-{i}")
        assert set(codes) <= {535, 454}, codes
    # The account is slowed: a further failure waits failure_delay (0) + slow_delay (1 s) ...
    c = SMTPConn(srv.port("submission"), source="127.0.4.1", cafile=srv.cafile)
    with c:
        expect(c.greeting(), 220)
        c.ehlo()
        expect(c.starttls(), 220)
        c.ehlo()
        started = time.monotonic()
        expect(c.cmd(plain(BOB, "typo")), 535)
        assert time.monotonic() - started >= 0.9
    # ... and protected: an unknown client is refused with a 4xx, even with the right password ...
    expect(login(srv, "127.0.99.1", BOB, BOB_PW), 454, "4.7.0")
    # ... but bob's own client logs in at once, and so does SCRAM from a client never seen.
    started = time.monotonic()
    expect(login(srv, "127.0.4.1", BOB, BOB_PW), 235)
    assert time.monotonic() - started < 1.5
    p = subprocess.run(["gsasl", "--smtp", "--connect", f"127.0.0.1:{srv.port('submission')}", "--starttls",
                        f"--x509-ca-file={srv.cafile}", "-m", "SCRAM-SHA-256", "--no-cb", "-a", BOB, "-p", BOB_PW],
                       capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    # Alerts for the account, in the log and through the hook.
    kinds = {(e["kind"], e["subject"]) for e in events(srv, "alert")}
    assert ("account_under_attack", BOB) in kinds and ("lockout", BOB) in kinds, kinds
    wait_for(lambda: srv.hook_out.exists() and '"lockout"' in srv.hook_out.read_text(), what="the alert hook")
    throttled = [e for e in events(srv, "auth") if e["result"] == "throttled"]
    assert any(e["client_ip"] == "127.0.99.1" for e in throttled)


def test_new_connections_per_minute(tmp_path):
    srv = h.Server(tmp_path / "srv", smtp_trusted=[], submission_trusted=[],
                   extra_toml="[abuse]\nexempt_loopback = false\nconnections_per_minute = 5\n").start()
    try:
        for _ in range(5):
            with SMTPConn(srv.port("smtp"), source="127.0.7.1") as c:
                expect(c.greeting(), 220)
        with SMTPConn(srv.port("smtp"), source="127.0.7.1") as c:
            expect(c.greeting(), 421, "4.7.0", "Too many new connections from your address, try again later")
        # Another address is not affected.
        with SMTPConn(srv.port("smtp"), source="127.0.7.2") as c:
            expect(c.greeting(), 220)
        refused = [e for e in events(srv, "connection_refused") if e["reason"] == "connection rate"]
        assert [e["client_ip"] for e in refused] == ["127.0.7.1"]
    finally:
        srv.stop()


def test_volume_anomaly_alerts_and_suspends_the_credential(tmp_path):
    hook_out = tmp_path / "alerts.jsonl"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ncat >> {hook_out}\necho >> {hook_out}\n")
    hook.chmod(0o755)
    srv = h.Server(tmp_path / "srv", smtp_trusted=[], submission_trusted=[],
                   extra_toml=f'[abuse]\nanomaly_min_messages = 5\nsuspend_on_anomaly = true\nalert_hook = "{hook}"\n')
    record = json.loads(srv.cli("credential", "add", ALICE, "--name", "script", "--json").stdout.decode()
                        .strip().splitlines()[-1])
    app_password = record["password"]
    srv.start()
    try:
        c = SMTPConn(srv.port("submissions"), implicit_tls=True, cafile=srv.cafile)
        with c:
            expect(c.greeting(), 220)
            c.ehlo()
            expect(c.cmd(plain(f"{ALICE}/script", app_password)), 235)
            for i in range(6):
                expect(c.cmd(f"MAIL FROM:<{ALICE}>"), 250)
                expect(c.cmd("RCPT TO:<friend@remote.example>"), 250)
                expect(c.data(f"From: <{ALICE}>\r\nSubject: burst {i}\r\n\r\nbody\r\n"), 250)
        wait_for(lambda: hook_out.exists() and "volume_anomaly" in hook_out.read_text(), what="the anomaly alert")
        alert = next(json.loads(line) for line in hook_out.read_text().splitlines()
                     if "volume_anomaly" in line and "script" in line)
        assert alert["subject"] == f"credential script of {ALICE}" and alert["action"] == "credential suspended", alert
        # The suspended credential is refused; the account password is not.
        wait_for(lambda: login(srv, "127.0.0.1", f"{ALICE}/script", app_password).code == 535,
                 what="the suspension to apply")
        expect(login(srv, "127.0.0.1", ALICE, ALICE_PW), 235)
        srv.cli("credential", "resume", ALICE, "script")
        wait_for(lambda: login(srv, "127.0.0.1", f"{ALICE}/script", app_password).code == 235,
                 what="the credential to be resumed")
        audit = srv.cli("audit", "--json").stdout.decode()
        assert "credential.suspend" in audit and "credential.resume" in audit
    finally:
        srv.stop()
