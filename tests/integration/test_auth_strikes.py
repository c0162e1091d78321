"""Abuse defence on AUTH against the real binary: the fixed pause before every 535 ([auth]
failure_delay), the same for unknown accounts and wrong passwords, and the close after the third
failure on one connection (RFC 4954 §9)."""

from __future__ import annotations

import base64
import time

import pytest

import postern_harness as h
from smtp_raw import SMTPConn, expect

ALICE, ALICE_PW = "alice@example.test", "alice-secret-1"
DELAY = 1.0


@pytest.fixture(scope="module")
def strikes_server(tmp_path_factory):
    """alice with a password; AUTH failures pause one second."""
    base = tmp_path_factory.mktemp("postern-strikes")
    srv = h.Server(base / "srv", accounts={}, smtp_trusted=[], submission_trusted=[],
                   extra_toml='[auth]\nfailure_delay = "1s"\n')
    srv.cli("user", "add", ALICE, "--password-stdin", input=f"{ALICE_PW}\n".encode())
    srv.start()
    yield srv
    srv.stop()


def plain(user: str, password: str) -> str:
    return "AUTH PLAIN " + base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()


def connect(srv: h.Server) -> SMTPConn:
    c = SMTPConn(srv.port("submissions"), implicit_tls=True, cafile=srv.cafile)
    expect(c.greeting(), 220)
    c.ehlo()
    return c


def timed(c: SMTPConn, line: str):
    started = time.monotonic()
    reply = c.cmd(line)
    return reply, time.monotonic() - started


def test_wrong_password_waits_before_535(strikes_server):
    with connect(strikes_server) as c:
        reply, took = timed(c, plain(ALICE, "wrong-password"))
        expect(reply, 535, "5.7.8")
        assert took >= DELAY - 0.1, took
        # The pause is not idle time: the connection is still served afterwards.
        expect(c.cmd("NOOP"), 250)


def test_unknown_user_waits_the_same(strikes_server):
    with connect(strikes_server) as c:
        reply, took = timed(c, plain("nobody@example.test", "whatever"))
        expect(reply, 535, "5.7.8")
        assert took >= DELAY - 0.1, took


def test_success_does_not_wait(strikes_server):
    with connect(strikes_server) as c:
        reply, took = timed(c, plain(ALICE, ALICE_PW))
        expect(reply, 235)
        assert took < DELAY - 0.1, took


def test_third_failure_closes_the_connection(strikes_server):
    with connect(strikes_server) as c:
        expect(c.cmd(plain(ALICE, "guess-1")), 535)
        expect(c.cmd(plain(ALICE, "guess-2")), 535)
        expect(c.cmd(plain(ALICE, "guess-3")), 535, "5.7.8")
        expect(c.reply(), 421, "4.7.0", "Too many authentication failures, closing connection")
        assert c.closed_by_server(), "the server keeps the connection open after 421"
    # A new connection logs in at once with the right password.
    with connect(strikes_server) as c:
        reply, took = timed(c, plain(ALICE, ALICE_PW))
        expect(reply, 235, "2.7.0")
        assert took < DELAY - 0.1, took


def test_other_clients_are_served_during_a_pause(strikes_server):
    with connect(strikes_server) as slow, connect(strikes_server) as other:
        started = time.monotonic()
        slow.send(plain(ALICE, "wrong") + "\r\n")
        expect(other.cmd("NOOP"), 250)
        assert time.monotonic() - started < DELAY - 0.1
        expect(slow.reply(), 535)
