"""Sending rate limits, header From: ownership and the Prometheus endpoint against the real
binary. The "hour" window is shortened to a few seconds so that a limit can be hit and seen to
reset within a test."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
import urllib.request
from datetime import datetime, timezone

import pytest

import postern_harness as h
from smtp_raw import SMTPConn, expect, make_message, queued_id

ALICE, ALICE_PW = "alice@example.test", "alice-secret-1"
HOUR = 6  # seconds: the configured length of the "hour" window


def plain(user: str, password: str) -> str:
    return "AUTH PLAIN " + base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()


def authed(srv: h.Server, user: str = ALICE, password: str = ALICE_PW) -> SMTPConn:
    c = SMTPConn(srv.port("submissions"), implicit_tls=True, cafile=srv.cafile)
    expect(c.greeting(), 220)
    c.ehlo()
    expect(c.cmd(plain(user, password)), 235)
    return c


def send(c: SMTPConn, token: str, recipients=("bob@example.test",)):
    expect(c.cmd(f"MAIL FROM:<{ALICE}>"), 250)
    for r in recipients:
        expect(c.cmd(f"RCPT TO:<{r}>"), 250)
    return queued_id(c.data(make_message(token, sender=ALICE)))


LIMITS = f"""
[rate_limits]
hour_window = "{HOUR}s"
[rate_limits.account]
messages_per_hour = 3
recipients_per_hour = 5
"""


@pytest.fixture()
def limited(tmp_path):
    port = h.free_port()
    srv = h.Server(tmp_path / "srv", smtp_trusted=[], submission_trusted=[],
                   extra_toml=LIMITS + f'[metrics]\nlisten = "127.0.0.1:{port}"\n')
    srv.metrics_port = port
    srv.start()
    yield srv
    srv.stop()


def reset_time(text: str) -> datetime:
    m = re.search(r"try again after (\S+Z)", text)
    assert m, text
    return datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def test_message_limit_is_hit_and_resets(limited):
    with authed(limited) as c:
        for i in range(3):
            send(c, f"m{i}")
        reply = expect(c.cmd(f"MAIL FROM:<{ALICE}>"), 451, "4.7.1")
        assert f"3 messages per hour for account {ALICE}" in reply.text, reply
        resets = reset_time(reply.text)
        now = datetime.now(timezone.utc)
        assert 0 <= (resets - now).total_seconds() <= HOUR + 1, (resets, now)
        # Until the reset it stays refused; after it, one more fits.
        time.sleep(max(0.0, (resets - datetime.now(timezone.utc)).total_seconds()) + 1.1)
        send(c, "after-reset")
    msgs = [e for e in events(limited) if e["event"] == "message"]
    assert [e["result"] for e in msgs].count("accepted") == 4
    refused = [e for e in msgs if e["result"] == "refused"]
    assert refused and refused[0]["reason"] == "message rate limit" and refused[0]["reply"].startswith("451 4.7.1")


def test_recipient_limit(limited):
    with authed(limited) as c:
        expect(c.cmd(f"MAIL FROM:<{ALICE}>"), 250)
        for i in range(5):
            expect(c.cmd(f"RCPT TO:<r{i}@remote.example>"), 250)
        reply = expect(c.cmd("RCPT TO:<r5@remote.example>"), 452, "4.5.3")
        assert f"5 recipients per hour for account {ALICE}" in reply.text, reply


def test_counters_survive_a_restart(limited):
    with authed(limited) as c:
        for i in range(3):
            send(c, f"r{i}")
    time.sleep(1.5)  # the state thread saves once a second; a clean stop saves as well
    limited.stop()
    limited.start()
    with authed(limited) as c:
        expect(c.cmd(f"MAIL FROM:<{ALICE}>"), 451, "4.7.1")


def test_user_limits_apply_without_a_restart(limited):
    with authed(limited) as c:
        for i in range(3):
            send(c, f"o{i}")
        expect(c.cmd(f"MAIL FROM:<{ALICE}>"), 451, "4.7.1")
        limited.cli("user", "limits", ALICE, "--messages-per-hour", "10")
        deadline = time.monotonic() + 5
        while True:
            reply = c.cmd(f"MAIL FROM:<{ALICE}>")
            if reply.code == 250 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        expect(reply, 250)
        expect(c.cmd("RSET"), 250)


def test_header_from_spoof_is_refused(limited):
    with authed(limited) as c:
        expect(c.cmd(f"MAIL FROM:<{ALICE}>"), 250)
        expect(c.cmd("RCPT TO:<bob@example.test>"), 250)
        reply = c.data(make_message("spoof", sender="ceo@example.test"))
        expect(reply, 550, "5.7.1")
        assert "ceo@example.test" in reply.text, reply
        # The session goes on: the same client sends as itself.
        expect(c.cmd(f"MAIL FROM:<{ALICE}>"), 250)
        expect(c.cmd("RCPT TO:<bob@example.test>"), 250)
        queued_id(c.data(make_message("own", sender=ALICE)))
    # A whole-domain grant lets alice use any address of example.org, in the envelope and header.
    limited.cli("user", "sender", "add", ALICE, "@example.org")
    with authed(limited) as c:
        expect(c.cmd("MAIL FROM:<news@example.org>"), 250)
        expect(c.cmd("RCPT TO:<bob@example.test>"), 250)
        queued_id(c.data(make_message("granted", sender="news@example.org")))
    refused = [e for e in events(limited) if e["event"] == "message" and e["result"] == "refused"]
    assert refused[0]["reason"] == "header from not owned" and refused[0]["account"] == ALICE


def events(srv: h.Server) -> list[dict]:
    return [json.loads(line) for line in srv.stderr_path.read_text(errors="replace").splitlines()
            if line.startswith("{")]


def scrape(srv: h.Server) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{srv.metrics_port}/metrics", timeout=5) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return r.read().decode()


def value(text: str, name: str, **labels) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^([a-z_]+)(?:\{(.*)\})? (\S+)$", line)
        if m and m.group(1) == name and ",".join(sorted((m.group(2) or "").split(","))) == want:
            return float(m.group(3))
    return 0.0


def promtool_check(text: str) -> None:
    assert shutil.which("promtool"), "promtool (Debian package prometheus) is not installed"
    p = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True, timeout=30)
    # promtool exits 0 when the text parses; lint warnings (if any) go to stdout.
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()


def test_metrics_scrape_shows_the_counters_move(limited):
    before = scrape(limited)
    promtool_check(before)
    with SMTPConn(limited.port("submissions"), implicit_tls=True, cafile=limited.cafile) as c:
        expect(c.greeting(), 220)
        c.ehlo()
        expect(c.cmd(plain(ALICE, "wrong")), 535)
        expect(c.cmd(plain(ALICE, ALICE_PW)), 235)
        send(c, "metrics")
    after = scrape(limited)
    promtool_check(after)
    assert value(after, "postern_auth_attempts_total", mechanism="PLAIN", result="failed") == \
        value(before, "postern_auth_attempts_total", mechanism="PLAIN", result="failed") + 1
    assert value(after, "postern_auth_attempts_total", mechanism="PLAIN", result="ok") == \
        value(before, "postern_auth_attempts_total", mechanism="PLAIN", result="ok") + 1
    assert value(after, "postern_messages_accepted_total", listener="submissions") == \
        value(before, "postern_messages_accepted_total", listener="submissions") + 1
    assert value(after, "postern_tls_handshakes_total", result="ok") >= \
        value(before, "postern_tls_handshakes_total", result="ok") + 1
    assert value(after, "postern_queue_messages") == value(before, "postern_queue_messages") + 1
    # Anything but GET /metrics is refused.
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"http://127.0.0.1:{limited.metrics_port}/other", timeout=5)
    assert e.value.code == 404
