"""The inbound `smtp` listener: greeting, EHLO, sequencing, recipients, relay, DATA, BDAT, queue."""

import re
import uuid

import pytest

from postern_harness import HOSTNAME, TRUSTED
from smtp_raw import SMTPConn, expect, make_message, queued_id


def token() -> str:
    return uuid.uuid4().hex[:12]


@pytest.fixture
def conn(server):
    c = SMTPConn(server.port("smtp"))
    expect(c.greeting(), 220)
    yield c
    c.close()


def test_greeting_names_the_host(server):
    with SMTPConn(server.port("smtp")) as c:
        g = expect(c.greeting(), 220)
        # RFC 5321 §4.1.1: the greeting starts with the server's domain.
        assert g.lines[0].split(" ")[0] == HOSTNAME, f"greeting: {g}"


def test_ehlo_extensions(conn):
    r = conn.ehlo()
    assert r.lines[0].startswith(HOSTNAME), f"EHLO reply should name the host first: {r}"
    kw = r.keywords()
    for ext in ("PIPELINING", "SIZE", "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8", "CHUNKING", "STARTTLS"):
        assert ext in kw, f"{ext} not advertised: {r}"
    # max_message_size = "1M" in the config.
    assert kw["SIZE"] == "1048576", f"SIZE should advertise the configured 1M (2^20) limit: {r}"


def test_helo_is_accepted(conn):
    expect(conn.cmd("HELO client.example.net"), 250)
    expect(conn.cmd("MAIL FROM:<x@remote.example>"), 250, "2.1.0")


def test_no_starttls_after_tls(conn):
    conn.ehlo()
    conn.starttls()
    r = conn.ehlo()
    assert "STARTTLS" not in r.keywords(), f"STARTTLS advertised inside TLS: {r}"
    expect(conn.cmd("STARTTLS"), 503, "5.5.1")


def test_sequencing(conn):
    expect(conn.cmd("MAIL FROM:<x@remote.example>"), 503, "5.5.1")
    conn.ehlo()
    expect(conn.cmd("RCPT TO:<alice@example.test>"), 503, "5.5.1")
    expect(conn.cmd("DATA"), 503, "5.5.1")
    expect(conn.cmd("MAIL FROM:<x@remote.example>"), 250, "2.1.0")
    expect(conn.cmd("MAIL FROM:<x@remote.example>"), 503, "5.5.1")
    expect(conn.cmd("DATA"), 503, "5.5.1")
    expect(conn.cmd("RSET"), 250)
    expect(conn.cmd("RCPT TO:<alice@example.test>"), 503, "5.5.1")


def test_simple_commands(conn):
    conn.ehlo()
    expect(conn.cmd("NOOP"), 250)
    expect(conn.cmd("HELP"), 214)
    expect(conn.cmd("RSET"), 250)
    expect(conn.cmd("XYZZY"), 500, "5.5.2")
    expect(conn.cmd("QUIT"), 221)
    assert conn.closed_by_server(), "connection still open after QUIT"


def test_vrfy_reveals_nothing(conn):
    conn.ehlo()
    known = expect(conn.cmd("VRFY alice@example.test"), 252)
    unknown = expect(conn.cmd("VRFY nobody-here@example.test"), 252)
    assert known.raw == unknown.raw, f"VRFY differs for a real and an unknown account: {known} vs {unknown}"


def test_recipients_local(conn):
    conn.ehlo()
    expect(conn.cmd("MAIL FROM:<x@remote.example>"), 250, "2.1.0")
    expect(conn.cmd("RCPT TO:<alice@example.test>"), 250, "2.1.5")
    expect(conn.cmd("RCPT TO:<Bob@Example.TEST>"), 250, "2.1.5")
    expect(conn.cmd("RCPT TO:<nobody-here@example.test>"), 550, "5.1.1")


def test_remote_recipient_refused_from_untrusted(conn):
    conn.ehlo()
    expect(conn.cmd("MAIL FROM:<x@remote.example>"), 250)
    expect(conn.cmd("RCPT TO:<someone@remote.example>"), 554, "5.7.1")


def test_remote_recipient_accepted_from_trusted_network(server):
    with SMTPConn(server.port("smtp"), source=TRUSTED) as c:
        expect(c.greeting(), 220)
        c.ehlo()
        expect(c.cmd("MAIL FROM:<x@example.test>"), 250)
        expect(c.cmd("RCPT TO:<someone@remote.example>"), 250, "2.1.5")
        t = token()
        qid = queued_id(c.data(make_message(t, to="someone@remote.example")))
    rec = server.queue_by_id().get(qid)
    assert rec is not None, f"{qid} not in queue list"
    assert rec["recipients"] == ["someone@remote.example"]
    assert rec["client"]["address"] == TRUSTED


@pytest.mark.parametrize("rcpt", [
    "user%remote.example@example.test",
    '"a@b"@example.test',
    "@x.org:u@remote.org",
    "a!b@example.test",
    "alice%remote.example@example.test",
    '"alice@remote.example"@example.test',
    "@example.test:u@remote.org",
    "bob!remote.example!u@example.test",
])
def test_relay_tricks_never_accepted(conn, rcpt):
    conn.ehlo()
    expect(conn.cmd("MAIL FROM:<x@remote.example>"), 250)
    r = conn.cmd(f"RCPT TO:<{rcpt}>")
    # DESIGN §3.5: never relayed. 554 5.7.1 (relay) or 550 (no such user) or a syntax refusal.
    assert r.code in (550, 554, 501, 553), f"RCPT TO:<{rcpt}> from an untrusted client: {r}"
    if r.code in (550, 554):
        assert r.enhanced in ("5.1.1", "5.7.1"), f"RCPT TO:<{rcpt}>: {r}"


def test_message_is_queued_with_envelope_and_received(server, conn):
    conn.ehlo("client.example.net")
    t = token()
    expect(conn.cmd("MAIL FROM:<sender@remote.example>"), 250, "2.1.0")
    expect(conn.cmd("RCPT TO:<alice@example.test>"), 250, "2.1.5")
    expect(conn.cmd("RCPT TO:<bob@example.test>"), 250, "2.1.5")
    msg = make_message(t, body="first line\r\n.leading dot\r\n..two dots\r\nlast line\r\n")
    qid = queued_id(conn.data(msg))
    client_port = conn.sock.getsockname()[1]

    rec = server.queue_by_id().get(qid)
    assert rec is not None, f"queue id {qid} not in queue list"
    assert rec["sender"] == "sender@remote.example"
    assert rec["recipients"] == ["alice@example.test", "bob@example.test"]
    assert rec["message_id"] in (f"<{t}@client.example.net>", f"{t}@client.example.net"), rec
    assert rec["auth"] is None, rec
    assert rec["tls"] in (None, {}, False), f"plain-text session recorded TLS: {rec}"
    assert rec["client"]["address"] == "127.0.0.1" and rec["client"]["port"] == client_port, rec
    assert rec["helo"] == "client.example.net", rec
    assert isinstance(rec["size"], int) and rec["size"] > len(msg), f"size should count Received: too: {rec}"
    assert rec["received"], rec

    shown = server.show(qid)
    # Dot-unstuffed (RFC 5321 §4.5.2) and otherwise byte for byte.
    assert msg.decode().replace("\r\n", "\n") in shown.replace("\r\n", "\n"), f"stored message differs:\n{shown}"
    received = shown.find("Received:")
    assert received >= 0, f"no Received: header prepended:\n{shown}"
    assert received < shown.find("From: <sender@remote.example>"), f"Received: must come first:\n{shown}"


def test_received_header_contents(server, conn):
    conn.ehlo("helo-name.example.net")
    t = token()
    qid = queued_id(conn.send_mail("s@remote.example", ["alice@example.test"], make_message(t)))
    shown = server.show(qid)
    m = re.search(r"^Received:(.*(?:\r?\n[ \t].*)*)", shown, re.M)
    assert m, f"no Received: header:\n{shown}"
    received = " ".join(m.group(1).split())
    # RFC 5321 §4.4: FROM (helo + TCP info), BY (our name), WITH (RFC 3848: ESMTP).
    assert "from helo-name.example.net" in received, received
    assert "127.0.0.1" in received, received
    assert f"by {HOSTNAME}" in received, received
    assert re.search(r"\bwith ESMTP\b", received), received


def test_pipelining(server, conn):
    conn.ehlo()
    t = token()
    msg = make_message(t)
    conn.send(b"MAIL FROM:<p@remote.example>\r\nRCPT TO:<alice@example.test>\r\n"
              b"RCPT TO:<nobody-here@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n")
    expect(conn.reply(), 250, "2.1.0")
    expect(conn.reply(), 250, "2.1.5")
    expect(conn.reply(), 550, "5.1.1")
    expect(conn.reply(), 250, "2.1.5")
    expect(conn.reply(), 354)
    conn.send(msg + b".\r\nRSET\r\nNOOP\r\n")
    qid = queued_id(conn.reply())
    expect(conn.reply(), 250)
    expect(conn.reply(), 250)
    assert server.queue_by_id()[qid]["recipients"] == ["alice@example.test", "bob@example.test"]


def test_bdat(server, conn):
    conn.ehlo()
    t = token()
    expect(conn.cmd("MAIL FROM:<b@remote.example>"), 250)
    expect(conn.cmd("RCPT TO:<alice@example.test>"), 250)
    # RFC 3030: BDAT content is not dot-stuffed; a lone "." line is just data.
    part1 = make_message(t, body="chunk one\r\n.\r\n")
    part2 = b"chunk two\r\n"
    conn.send(b"BDAT %d\r\n" % len(part1) + part1)
    expect(conn.reply(), 250)
    conn.send(b"BDAT %d LAST\r\n" % len(part2) + part2)
    qid = queued_id(conn.reply())
    shown = server.show(qid)
    assert (part1 + part2).decode().replace("\r\n", "\n") in shown.replace("\r\n", "\n"), shown
    # The session is usable afterwards.
    expect(conn.cmd("NOOP"), 250)


def test_bdat_then_data_refused(conn):
    conn.ehlo()
    expect(conn.cmd("MAIL FROM:<b@remote.example>"), 250)
    expect(conn.cmd("RCPT TO:<alice@example.test>"), 250)
    conn.send(b"BDAT 5\r\nabcde")
    expect(conn.reply(), 250)
    expect(conn.cmd("DATA"), 503, "5.5.1")


def test_bdat_pipelined_transaction(server, conn):
    conn.ehlo()
    t = token()
    body = make_message(t)
    conn.send(b"MAIL FROM:<b@remote.example>\r\nRCPT TO:<bob@example.test>\r\n"
              + b"BDAT %d LAST\r\n" % len(body) + body + b"NOOP\r\n")
    expect(conn.reply(), 250)
    expect(conn.reply(), 250)
    qid = queued_id(conn.reply())
    expect(conn.reply(), 250)
    assert server.queue_by_id()[qid]["recipients"] == ["bob@example.test"]


def test_8bitmime_and_smtputf8(server, conn):
    conn.ehlo()
    t = token()
    expect(conn.cmd("MAIL FROM:<jörg@remote.example> BODY=8BITMIME SMTPUTF8"), 250)
    expect(conn.cmd("RCPT TO:<alice@example.test>"), 250)
    qid = queued_id(conn.data(make_message(t, body="Grüße\r\n")))
    rec = server.queue_by_id()[qid]
    assert rec["sender"] == "jörg@remote.example", rec


def test_utf8_address_without_smtputf8_refused(conn):
    conn.ehlo()
    expect(conn.cmd("MAIL FROM:<jörg@remote.example>"), 553, "5.6.7")


def test_null_sender(server, conn):
    conn.ehlo()
    t = token()
    expect(conn.cmd("MAIL FROM:<>"), 250)
    expect(conn.cmd("RCPT TO:<alice@example.test>"), 250)
    qid = queued_id(conn.data(make_message(t)))
    assert server.queue_by_id()[qid]["sender"] == ""


def test_two_transactions_in_one_session(server, conn):
    conn.ehlo()
    ids = [queued_id(conn.send_mail("s@remote.example", ["alice@example.test"], make_message(token())))
           for _ in range(2)]
    assert ids[0] != ids[1]
    q = server.queue_by_id()
    assert all(i in q for i in ids)


def test_unknown_mail_parameter(conn):
    conn.ehlo()
    expect(conn.cmd("MAIL FROM:<x@remote.example> FROBNICATE=1"), 555, "5.5.4")


def test_bad_address_syntax(conn):
    conn.ehlo()
    expect(conn.cmd("MAIL FROM:<not an address>"), 501, "5.1.7")
    expect(conn.cmd("MAIL FROM:<x@remote.example>"), 250)
    expect(conn.cmd("RCPT TO:<@@>"), 501, "5.1.3")


def test_refused_bdat_chunk_is_consumed(conn):
    """RFC 3030 §2: the chunk follows its command at once, so a refused BDAT's octets are read
    and dropped; never parsed as commands."""
    conn.ehlo()
    chunk = b"MAIL FROM:<inner@remote.example>\r\n"
    conn.send(b"BDAT %d\r\n" % len(chunk) + chunk)
    expect(conn.reply(), 503, "5.5.1")
    expect(conn.cmd("NOOP"), 250, "2.0.0")
    expect(conn.cmd("MAIL FROM:<outer@remote.example>"), 250, "2.1.0")
