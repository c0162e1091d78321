"""Bounded everything (DESIGN §3.8): size, line length, NUL, errors, commands, recipients,
timeouts, connection limits."""

import socket
import time
import uuid

import pytest

from postern_harness import TRUSTED
from smtp_raw import Closed, SMTPConn, expect, make_message, queued_id


def token() -> str:
    return uuid.uuid4().hex[:12]


def connect(srv, kind="smtp", **kw) -> SMTPConn:
    c = SMTPConn(srv.port(kind), **kw)
    expect(c.greeting(), 220)
    return c


def test_oversize_body_is_read_to_the_end_then_refused(server):
    with connect(server) as c:
        c.ehlo()
        expect(c.cmd("MAIL FROM:<big@remote.example>"), 250)
        expect(c.cmd("RCPT TO:<alice@example.test>"), 250)
        expect(c.cmd("DATA"), 354)
        line = b"x" * 998 + b"\r\n"
        t = token()
        c.send(make_message(t))
        for _ in range(1200):  # ~1.2 MB > 1M
            c.send(line)
        c.send(b".\r\n")
        expect(c.reply(), 552, "5.3.4")
        # The session is still in sync: the next command gets its own reply.
        expect(c.cmd("NOOP"), 250)
        qid = queued_id(c.send_mail("small@remote.example", ["alice@example.test"], make_message(token())))
    q = server.queue()
    assert not [r for r in q if t in (r.get("message_id") or "")], "oversize message was queued"
    assert qid in {r["id"] for r in q}


def test_declared_size_over_limit_refused_at_mail(server):
    with connect(server) as c:
        c.ehlo()
        expect(c.cmd("MAIL FROM:<big@remote.example> SIZE=2000000"), 552, "5.3.4")
        expect(c.cmd("MAIL FROM:<big@remote.example> SIZE=1000"), 250)


def test_message_just_under_limit_accepted(server):
    with connect(server) as c:
        c.ehlo()
        body = (b"y" * 998 + b"\r\n") * 900  # ~0.9 MB
        qid = queued_id(c.send_mail("s@remote.example", ["alice@example.test"], make_message(token()) + body))
        assert qid


def test_oversize_bdat_refused(server):
    with connect(server) as c:
        c.ehlo()
        expect(c.cmd("MAIL FROM:<big@remote.example>"), 250)
        expect(c.cmd("RCPT TO:<alice@example.test>"), 250)
        chunk = b"z" * 600_000
        c.send(b"BDAT %d\r\n" % len(chunk) + chunk)
        first = c.reply()
        c.send(b"BDAT %d LAST\r\n" % len(chunk) + chunk)
        last = c.reply()
        assert 552 in (first.code, last.code), f"BDAT over 1M: {first} / {last}"
        assert (last if last.code == 552 else first).enhanced == "5.3.4"
        expect(c.cmd("NOOP"), 250)


def test_long_command_line(server):
    with connect(server) as c:
        c.ehlo()
        # RFC 5321 §4.5.3.1.4: 512 octets is the minimum; the configured limit is 1000 incl. CRLF.
        expect(c.cmd("NOOP " + "a" * 990), 250)
        expect(c.cmd("NOOP " + "a" * 2000), 500, "5.5.2")
        expect(c.cmd("NOOP"), 250)
        expect(c.cmd("MAIL FROM:<x@remote.example>"), 250)


def test_very_long_line_without_newline(server):
    with connect(server) as c:
        c.ehlo()
        c.send(b"A" * 200_000 + b"\r\n")
        r = c.reply()
        assert r.code in (500, 421), r
        if r.code == 500:
            assert r.enhanced == "5.5.2", r
            expect(c.cmd("NOOP"), 250)


def test_nul_in_command(server):
    with connect(server) as c:
        c.ehlo()
        expect(c.cmd(b"NOOP\x00hidden"), 500, "5.5.2")
        expect(c.cmd(b"MAIL FROM:<a\x00b@remote.example>"), 500, "5.5.2")
        expect(c.cmd("NOOP"), 250)


def test_too_many_errors(make_server):
    srv = make_server(limits={"max_errors": 3})
    with connect(srv) as c:
        c.ehlo()
        replies = []
        try:
            for _ in range(6):
                replies.append(c.cmd("BOGUS"))
                if replies[-1].code == 421:
                    break
        except Closed:
            pass
        codes = [r.code for r in replies]
        assert codes[:2] == [500, 500], [str(r) for r in replies]
        assert replies and replies[-1].code == 421 and replies[-1].enhanced == "4.7.0", [str(r) for r in replies]
        assert len(replies) <= 4, f"421 should come by the 4th error with max_errors=3: {[str(r) for r in replies]}"
        assert c.closed_by_server(), "connection not closed after 421"


def test_too_many_commands(make_server):
    srv = make_server(limits={"max_commands": 10})  # the smallest the config allows
    with connect(srv) as c:
        replies = []
        try:
            for _ in range(13):
                replies.append(c.cmd("NOOP"))
                if replies[-1].code == 421:
                    break
        except Closed:
            pass
        assert [r.code for r in replies[:9]] == [250] * 9, [str(r) for r in replies]
        assert replies[-1].code == 421 and replies[-1].enhanced == "4.7.0", [str(r) for r in replies]
        assert len(replies) <= 11, [str(r) for r in replies]
        assert c.closed_by_server()


def test_recipient_limit(make_server):
    srv = make_server(limits={"max_recipients": 3}, accounts={f"u{i}@example.test": f"pw-{i}-secret" for i in range(5)})
    with connect(srv) as c:
        c.ehlo()
        expect(c.cmd("MAIL FROM:<x@remote.example>"), 250)
        for i in range(3):
            expect(c.cmd(f"RCPT TO:<u{i}@example.test>"), 250, "2.1.5")
        expect(c.cmd("RCPT TO:<u3@example.test>"), 452, "4.5.3")
        qid = queued_id(c.data(make_message(token())))
    assert srv.queue_by_id()[qid]["recipients"] == [f"u{i}@example.test" for i in range(3)]


def test_idle_timeout(make_server):
    srv = make_server(limits={"idle_timeout": "2s"})
    with connect(srv) as c:
        c.ehlo()
        start = time.monotonic()
        c.sock.settimeout(8)
        r = c.reply()
        elapsed = time.monotonic() - start
        expect(r, 421, "4.4.2")
        assert 1.5 <= elapsed <= 6, f"421 after {elapsed:.1f}s with idle_timeout=2s"
        assert c.closed_by_server()


def test_idle_timeout_during_data(make_server):
    srv = make_server(limits={"idle_timeout": "2s"})
    with connect(srv) as c:
        c.ehlo()
        expect(c.cmd("MAIL FROM:<x@remote.example>"), 250)
        expect(c.cmd("RCPT TO:<alice@example.test>"), 250)
        expect(c.cmd("DATA"), 354)
        c.send(b"Subject: stalled\r\n\r\npartial")
        c.sock.settimeout(8)
        expect(c.reply(), 421, "4.4.2")
    assert srv.queue() == []


def test_command_timeout_with_trickling_client(make_server):
    """Bytes that trickle in keep the idle timer alive but not the command timer."""
    srv = make_server(limits={"idle_timeout": "10s", "command_timeout": "2s"})
    with connect(srv) as c:
        c.ehlo()
        start = time.monotonic()
        c.sock.settimeout(0.4)
        got = None
        for ch in b"NOOP and some padding that never ends with a newline" * 2:
            if time.monotonic() - start > 8:
                break
            try:
                c.send(bytes([ch]))
                got = c.reply()
                break
            except (socket.timeout, TimeoutError):
                continue
            except (Closed, OSError) as e:
                pytest.fail(f"connection ended without a 421 reply: {e!r}")
        elapsed = time.monotonic() - start
        assert got is not None, f"no reply within {elapsed:.1f}s of trickling one command (command_timeout=2s)"
        expect(got, 421, "4.4.2")
        assert 1.5 <= elapsed < 7, f"command timeout 2s fired after {elapsed:.1f}s"


def test_connection_limit_per_ip(make_server):
    srv = make_server(limits={"max_connections_per_ip": 3})
    time.sleep(0.3)  # let the server notice the start-up probes have gone
    conns = [connect(srv) for _ in range(3)]
    try:
        with SMTPConn(srv.port("smtp")) as fourth:
            expect(fourth.reply(), 421, "4.7.0")
            assert fourth.closed_by_server()
        # Another address is not affected.
        with connect(srv, source=TRUSTED) as other:
            expect(other.cmd("NOOP"), 250)
        # The first three still work; freeing one lets a new one in.
        for c in conns:
            expect(c.cmd("NOOP"), 250)
        expect(conns[0].cmd("QUIT"), 221)
        conns[0].close()
        deadline = time.monotonic() + 5
        while True:
            with SMTPConn(srv.port("smtp")) as again:
                r = again.reply()
                if r.code == 220 or time.monotonic() > deadline:
                    expect(r, 220)
                    break
            time.sleep(0.1)
    finally:
        for c in conns:
            c.close()


def test_connection_limit_total(make_server):
    srv = make_server(limits={"max_connections": 3, "max_connections_per_ip": 3})
    time.sleep(0.3)  # let the server notice the start-up probes have gone
    conns = [connect(srv), connect(srv, source=TRUSTED), connect(srv, source="127.0.0.3")]
    try:
        with SMTPConn(srv.port("submission"), source="127.0.0.4") as fourth:
            expect(fourth.reply(), 421, "4.7.0")
    finally:
        for c in conns:
            c.close()


def test_half_closed_client_does_not_wedge_server(server):
    s = socket.create_connection(("127.0.0.1", server.port("smtp")), timeout=5)
    s.sendall(b"EHLO x\r\nMAIL FROM:<a@remote.example>\r\n")
    s.shutdown(socket.SHUT_WR)
    s.close()
    with connect(server) as c:
        expect(c.cmd("NOOP"), 250)
