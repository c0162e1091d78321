"""TLS: submission before/after STARTTLS, implicit TLS, STARTTLS injection, protocol versions,
SNI and certificate reload on SIGHUP."""

import json
import re
import signal
import smtplib
import socket
import subprocess
import time
import uuid

import pytest

import postern_harness as h
from postern_harness import TRUSTED
from smtp_raw import SMTPConn, client_context, expect, make_message, queued_id


def token() -> str:
    return uuid.uuid4().hex[:12]


def s_client(port: int, *args: str, stdin: bytes = b"", timeout: float = 20) -> tuple[int, str]:
    """Runs openssl s_client against 127.0.0.1:port; returns (exit code, stdout+stderr)."""
    p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *args],
                       input=stdin, capture_output=True, timeout=timeout)
    return p.returncode, (p.stdout + p.stderr).decode(errors="replace")


def negotiated(output: str) -> str | None:
    """The protocol of an established session, None when the handshake failed."""
    if re.search(r"Cipher is \(NONE\)", output) or not re.search(r"^New, ", output, re.M):
        return None
    # The SSL-Session block names the protocol; s_client may exit (stdin at EOF) before it
    # prints that block for TLS 1.3, whose "New, TLSv1.3, ..." line then says it.
    m = re.search(r"^\s*Protocol\s*: (\S+)", output, re.M) or re.search(r"^New, (TLSv1\.3),", output, re.M)
    return m.group(1) if m else None


def served_subject(output: str) -> str:
    m = re.search(r"^subject=(.*)$", output, re.M)
    assert m, f"no server certificate subject in s_client output:\n{output[-2000:]}"
    return m.group(1).strip()


# -- submission (587) before TLS ------------------------------------------------------------

@pytest.fixture
def sub(server):
    c = SMTPConn(server.port("submission"))
    expect(c.greeting(), 220)
    yield c
    c.close()


def test_submission_ehlo_before_tls(sub):
    kw = sub.ehlo().keywords()
    assert "STARTTLS" in kw, kw
    assert "AUTH" not in kw, f"AUTH advertised before TLS: {kw}"


@pytest.mark.parametrize("command", [
    "MAIL FROM:<alice@example.test>",
    "RCPT TO:<alice@example.test>",
    "DATA",
    "VRFY alice@example.test",
    "AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1zZWNyZXQtMQ==",
    "BDAT 4 LAST\r\nabcd",  # RFC 3030 §2: the chunk is read even when the command is refused
])
def test_submission_requires_starttls_first(sub, command):
    sub.ehlo()
    if command.startswith("BDAT"):
        # The chunk is exactly its announced octets: no CRLF after it (RFC 3030 §2).
        sub.send(command)
        r = sub.reply()
    else:
        r = sub.cmd(command)
    expect(r, 530, "5.7.0", "Must issue a STARTTLS command first")
    # The session goes on.
    expect(sub.cmd("NOOP"), 250)
    expect(sub.cmd("RSET"), 250)


def test_submission_after_starttls_requires_auth(sub):
    sub.ehlo()
    sub.starttls()
    kw = sub.ehlo().keywords()
    assert "STARTTLS" not in kw, kw
    expect(sub.cmd("MAIL FROM:<alice@example.test>"), 530, "5.7.0", "Authentication required")


def test_submission_trusted_network_relays_over_starttls(server):
    t = token()
    with SMTPConn(server.port("submission"), source=TRUSTED) as c:
        expect(c.greeting(), 220)
        c.ehlo()
        c.starttls()
        c.ehlo()
        expect(c.cmd("MAIL FROM:<alice@example.test>"), 250)
        expect(c.cmd("RCPT TO:<friend@remote.example>"), 250, "2.1.5")
        qid = queued_id(c.data(make_message(t, sender="alice@example.test", to="friend@remote.example")))
        version = c.sock.version()
    rec = server.queue_by_id()[qid]
    assert rec["tls"], f"TLS session recorded without tls: {rec}"
    assert version in json.dumps(rec["tls"]), f"tls should name {version}: {rec['tls']}"
    shown = server.show(qid)
    m = re.search(r"^Received:(.*(?:\r?\n[ \t].*)*)", shown, re.M)
    assert m and re.search(r"\bwith ESMTPS\b", m.group(1)), f"RFC 3848 ESMTPS expected in Received:\n{shown}"


# -- submissions (465): implicit TLS --------------------------------------------------------

def test_submissions_implicit_tls_smtplib(server):
    with smtplib.SMTP_SSL("127.0.0.1", server.port("submissions"), context=client_context(server.cafile),
                          timeout=10) as s:
        code, _ = s.ehlo("client.example.net")
        assert code == 250
        assert not s.has_extn("starttls"), f"STARTTLS offered on implicit TLS: {s.esmtp_features}"
        for ext in ("pipelining", "size", "8bitmime", "enhancedstatuscodes", "chunking"):
            assert s.has_extn(ext), f"{ext} missing: {s.esmtp_features}"
        code, msg = s.mail("alice@example.test")
        assert (code, msg) == (530, b"5.7.0 Authentication required"), (code, msg)


def test_submissions_trusted_sends_with_smtplib(server):
    t = token()
    with smtplib.SMTP_SSL("127.0.0.1", server.port("submissions"), source_address=(TRUSTED, 0),
                          context=client_context(server.cafile), timeout=10) as s:
        s.ehlo("client.example.net")
        refused = s.sendmail("alice@example.test", ["friend@remote.example", "bob@example.test"],
                             make_message(t, sender="alice@example.test"))
        assert refused == {}
    recs = [r for r in server.queue() if r["message_id"] in (f"<{t}@client.example.net>", f"{t}@client.example.net")]
    assert len(recs) == 1, f"expected one queued message with token {t}: {recs}"
    assert recs[0]["recipients"] == ["friend@remote.example", "bob@example.test"]
    assert recs[0]["tls"], recs[0]


def test_submissions_no_plaintext(server):
    """A plain-text client on 465 gets no SMTP greeting in clear."""
    with socket.create_connection(("127.0.0.1", server.port("submissions")), timeout=5) as s:
        s.sendall(b"EHLO x\r\n")
        s.settimeout(3)
        try:
            data = s.recv(100)
        except (socket.timeout, ConnectionResetError):
            data = b""
        assert not data.startswith(b"220") and not data.startswith(b"250"), data


# -- STARTTLS injection (RFC 3207 §4.2, DESIGN §3.2) -----------------------------------------

@pytest.mark.parametrize("kind", ["smtp", "submission"])
def test_starttls_discards_pipelined_commands(server, kind):
    with SMTPConn(server.port(kind), source=TRUSTED) as c:
        expect(c.greeting(), 220)
        c.ehlo()
        c.send(b"STARTTLS\r\nMAIL FROM:<injected@remote.example>\r\nRCPT TO:<alice@example.test>\r\n")
        expect(c.reply(), 220)
        assert c.buf == b"", f"plain-text bytes after 220: {c.buf!r}"
        c._wrap()
        # If the injected MAIL had survived, its reply would come before NOOP's.
        expect(c.cmd("NOOP"), 250, "2.0.0")
        # State was reset: EHLO is required again.
        expect(c.cmd("MAIL FROM:<x@remote.example>"), 503, "5.5.1")
        c.ehlo()
        expect(c.cmd("MAIL FROM:<alice@example.test>"), 250)
        expect(c.cmd("NOOP"), 250)


def test_starttls_injection_with_s_client(server):
    """The classic check: openssl s_client's -starttls then commands; the server must answer
    the post-handshake commands normally (nothing left over from before the handshake)."""
    rc, out = s_client(server.port("smtp"), "-starttls", "smtp", "-crlf", "-ign_eof",
                       stdin=b"NOOP\nMAIL FROM:<x@remote.example>\nQUIT\n")
    assert negotiated(out), out[-3000:]
    assert "503 5.5.1" in out, f"MAIL before EHLO after STARTTLS should be 503 5.5.1:\n{out[-3000:]}"
    assert "221" in out, out[-3000:]


# -- protocol versions ------------------------------------------------------------------------

def test_s_client_starttls_on_submission(server):
    rc, out = s_client(server.port("submission"), "-starttls", "smtp", "-CAfile", server.cafile,
                       "-verify_return_error", "-verify_hostname", "localhost", "-servername", "localhost",
                       "-crlf", stdin=b"QUIT\n")
    version = negotiated(out)
    assert rc == 0 and version in ("TLSv1.2", "TLSv1.3"), f"rc={rc} version={version}\n{out[-3000:]}"
    assert "Verify return code: 0 (ok)" in out, out[-3000:]


@pytest.mark.parametrize("kind", ["submissions", "submission"])
def test_tls_1_1_refused(server, tmp_path, kind):
    legacy = ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"]
    # Control: this exact client does complete a TLS 1.1 handshake with a server that allows it,
    # so a failure against postern is postern refusing TLS 1.1.
    port = h.free_port()
    cert, key = server.certificates[0]
    control = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(cert),
                                "-key", str(key), "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0", "-naccept", "1"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        # Not a probe connection: -naccept 1 would spend its one connection on it.
        lines = []
        while b"ACCEPT" not in lines and len(lines) < 10:
            line = control.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
        assert b"ACCEPT" in lines, f"control s_server did not start: {lines}"
        rc, out = s_client(port, *legacy)
        assert negotiated(out) == "TLSv1.1", f"control handshake failed; the test cannot judge:\n{out[-2000:]}"
    finally:
        control.kill()
        control.wait()

    extra = ["-starttls", "smtp"] if kind == "submission" else []
    rc, out = s_client(server.port(kind), *legacy, *extra)
    assert rc != 0 and negotiated(out) is None, f"TLS 1.1 handshake succeeded on {kind}:\n{out[-2000:]}"
    assert server.alive()


def test_tls_1_2_accepted(server):
    rc, out = s_client(server.port("submissions"), "-tls1_2")
    assert negotiated(out) == "TLSv1.2", out[-2000:]


# -- SNI and reload ---------------------------------------------------------------------------

@pytest.fixture
def sni_server(make_server, tmp_path):
    d = tmp_path / "certs"
    d.mkdir()
    default = h.make_cert(d, "default", cn="localhost")
    other = h.make_cert(d, "other", cn="other.example.test", sans="DNS:other.example.test")
    return make_server(certificates=[default, other])


@pytest.mark.parametrize("sni,expected", [
    ("other.example.test", "CN = other.example.test"),
    ("localhost", "CN = localhost"),
    ("unknown.example.test", "CN = localhost"),
    (None, "CN = localhost"),
])
def test_sni_selects_certificate(sni_server, sni, expected):
    args = ["-servername", sni] if sni else ["-noservername"]
    rc, out = s_client(sni_server.port("submissions"), *args)
    assert negotiated(out), out[-2000:]
    assert served_subject(out) == expected, f"SNI {sni}: served {served_subject(out)}"
    rc, out = s_client(sni_server.port("submission"), "-starttls", "smtp", *args)
    assert served_subject(out) == expected, f"SNI {sni} after STARTTLS: served {served_subject(out)}"


def test_sighup_reloads_certificates_without_dropping_connections(make_server, tmp_path):
    d = tmp_path / "certs"
    d.mkdir()
    cert, key = h.make_cert(d, "live", cn="localhost")
    srv = make_server(certificates=[(cert, key)])
    rc, out = s_client(srv.port("submissions"), "-servername", "localhost")
    assert served_subject(out) == "CN = localhost"

    # An open session on each TLS kind, mid-conversation.
    old = SMTPConn(srv.port("submissions"), source=TRUSTED, implicit_tls=True)
    expect(old.greeting(), 220)
    old.ehlo()
    expect(old.cmd("MAIL FROM:<alice@example.test>"), 250)
    old_plain = SMTPConn(srv.port("smtp"))
    expect(old_plain.greeting(), 220)
    old_plain.ehlo()

    # Replace the files in place (write to new names, then rename over), then SIGHUP.
    new_cert, new_key = h.make_cert(d, "next", cn="reloaded.example.test", sans="DNS:localhost,IP:127.0.0.1")
    new_key.rename(key)
    new_cert.rename(cert)
    srv.signal(signal.SIGHUP)

    deadline = time.monotonic() + 10
    subject = None
    while time.monotonic() < deadline:
        rc, out = s_client(srv.port("submissions"), "-servername", "localhost")
        subject = served_subject(out) if "subject=" in out else None
        if subject == "CN = reloaded.example.test":
            break
        time.sleep(0.2)
    assert subject == "CN = reloaded.example.test", f"new connections still get {subject} after SIGHUP"
    rc, out = s_client(srv.port("submission"), "-starttls", "smtp", "-servername", "localhost")
    assert served_subject(out) == "CN = reloaded.example.test"

    # The old connections carry on.
    expect(old.cmd("RCPT TO:<friend@remote.example>"), 250)
    t = token()
    qid = queued_id(old.data(make_message(t, sender="alice@example.test")))
    assert qid in srv.queue_by_id()
    old.close()
    expect(old_plain.cmd("NOOP"), 250)
    old_plain.close()
    assert srv.alive()


def test_sighup_with_broken_certificate_keeps_serving(make_server, tmp_path):
    """A reload that fails (bad PEM) must keep the old certificate and the server running."""
    d = tmp_path / "certs"
    d.mkdir()
    cert, key = h.make_cert(d, "live", cn="localhost")
    srv = make_server(certificates=[(cert, key)])
    cert.write_text("not a certificate\n")
    srv.signal(signal.SIGHUP)
    time.sleep(1)
    assert srv.alive(), srv.stderr()
    rc, out = s_client(srv.port("submissions"), "-servername", "localhost")
    assert negotiated(out) and served_subject(out) == "CN = localhost", out[-2000:]
