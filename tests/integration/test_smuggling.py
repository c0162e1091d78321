"""SMTP smuggling (DESIGN §3.3): only <CRLF>.<CRLF> ends DATA; bare CR/LF are refused."""

import socket
import uuid

import pytest

from smtp_raw import Closed, SMTPConn, expect, make_message, queued_id

VARIANTS = {
    "LF.LF": b"\n.\n",
    "LF.CRLF": b"\n.\r\n",
    "CR.CR": b"\r.\r",
    "CRLF.LF": b"\r\n.\n",
    "CR.CRLF": b"\r.\r\n",
}


def drain(c: SMTPConn, wait: float = 1.5) -> list:
    """Every reply the server sends until it goes quiet or closes."""
    out = []
    c.sock.settimeout(wait)
    try:
        while True:
            out.append(c.reply())
    except (socket.timeout, TimeoutError, Closed, OSError):
        pass
    return out


@pytest.mark.parametrize("name", VARIANTS)
def test_smuggled_transaction_is_not_split_off(server, name):
    t = uuid.uuid4().hex[:12]
    smuggler = f"smuggler-{t}@remote.example"
    with SMTPConn(server.port("smtp")) as c:
        expect(c.greeting(), 220)
        c.ehlo()
        expect(c.cmd("MAIL FROM:<outer@remote.example>"), 250)
        expect(c.cmd("RCPT TO:<alice@example.test>"), 250)
        expect(c.cmd("DATA"), 354)
        c.send(make_message(f"outer-{t}", body="innocent")
               + VARIANTS[name]
               + f"MAIL FROM:<{smuggler}>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n".encode()
               + f"From: <{smuggler}>\r\nSubject: smuggled {t}\r\n\r\nsmuggled\r\n".encode()
               + b"\r\n.\r\n")
        first = c.reply()
        c.send(b"NOOP\r\n")
        rest = drain(c)
    replies = [first] + rest
    expect(first, 554, "5.5.2")
    assert len(rest) == 1 and rest[0].code == 250, \
        f"expected one reply (NOOP) after the 554; got: {[str(r) for r in replies]}"
    for rec in server.queue():
        assert rec["sender"] != smuggler, f"smuggled message queued: {rec}"
        assert t not in (rec.get("message_id") or ""), f"message with bare line ending queued: {rec}"


@pytest.mark.parametrize("ending", [b"\n", b"\r"])
def test_bare_line_ending_in_body_refused(server, ending):
    t = uuid.uuid4().hex[:12]
    with SMTPConn(server.port("smtp")) as c:
        expect(c.greeting(), 220)
        c.ehlo()
        expect(c.cmd("MAIL FROM:<outer@remote.example>"), 250)
        expect(c.cmd("RCPT TO:<alice@example.test>"), 250)
        expect(c.cmd("DATA"), 354)
        c.send(make_message(t, body="line one" + ending.decode() + "line two\r\n") + b".\r\n")
        expect(c.reply(), 554, "5.5.2")
        # The session continues and a clean message still goes through.
        qid = queued_id(c.send_mail("s@remote.example", ["alice@example.test"], make_message(uuid.uuid4().hex[:12])))
    ids = {r["id"] for r in server.queue()}
    assert qid in ids


def test_nul_in_body_refused(server):
    with SMTPConn(server.port("smtp")) as c:
        expect(c.greeting(), 220)
        c.ehlo()
        expect(c.cmd("MAIL FROM:<outer@remote.example>"), 250)
        expect(c.cmd("RCPT TO:<alice@example.test>"), 250)
        expect(c.cmd("DATA"), 354)
        c.send(make_message("nul", body="a\x00b\r\n") + b".\r\n")
        expect(c.reply(), 554, "5.6.0")
        expect(c.cmd("NOOP"), 250)


def test_dot_lines_that_are_not_terminators(server):
    """'.x', '..', a dot at the end of a line: all are data (RFC 5321 §4.5.2)."""
    t = uuid.uuid4().hex[:12]
    body = "a.\r\n.x\r\n..\r\n. \r\nend\r\n"
    with SMTPConn(server.port("smtp")) as c:
        expect(c.greeting(), 220)
        c.ehlo()
        msg = make_message(t, body=body)
        qid = queued_id(c.send_mail("s@remote.example", ["alice@example.test"], msg))
    shown = server.show(qid).replace("\r\n", "\n")
    assert msg.decode().replace("\r\n", "\n") in shown, shown
