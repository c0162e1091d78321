"""A deliberately dumb SMTP client over a raw socket.

It sends exactly the bytes a test gives it and parses replies strictly, so tests can pipeline,
inject, smuggle and misbehave in ways smtplib would not allow.
"""

from __future__ import annotations

import re
import socket
import ssl
from dataclasses import dataclass, field

ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})$")


class Closed(Exception):
    """The server closed the connection while a reply was expected."""


@dataclass
class Reply:
    code: int
    lines: list[str] = field(default_factory=list)  # text after "NNN-" / "NNN "
    raw: str = ""

    @property
    def enhanced(self) -> str | None:
        first = self.lines[0].split(" ", 1)[0] if self.lines and self.lines[0] else ""
        return first if ENHANCED.match(first) else None

    @property
    def text(self) -> str:
        """The first line without the enhanced code."""
        if not self.lines:
            return ""
        first = self.lines[0]
        if self.enhanced:
            first = first.split(" ", 1)[1] if " " in first else ""
        return first

    def keywords(self) -> dict[str, str]:
        """EHLO extensions (lines after the first) as {KEYWORD: params}."""
        out = {}
        for line in self.lines[1:]:
            key, _, params = line.partition(" ")
            out[key.upper()] = params
        return out

    def __str__(self) -> str:
        return self.raw.rstrip("\r\n").replace("\r\n", " | ")


def expect(reply: Reply, code: int, enhanced: str | None = None, text: str | None = None) -> Reply:
    """Asserts code (and enhanced code / exact text when given), quoting the whole reply."""
    assert reply.code == code, f"expected {code} {enhanced or ''}, server said: {reply}"
    if enhanced is not None:
        assert reply.enhanced == enhanced, f"expected {code} {enhanced}, server said: {reply}"
    if text is not None:
        assert reply.text == text, f"expected text {text!r}, server said: {reply}"
    return reply


class SMTPConn:
    """One client connection. `source` binds the client side (e.g. 127.0.0.2, a trusted network)."""

    def __init__(self, port: int, host: str = "127.0.0.1", source: str | None = None,
                 implicit_tls: bool = False, timeout: float = 10.0, server_hostname: str = "localhost",
                 cafile: str | None = None):
        self.timeout = timeout
        self.server_hostname = server_hostname
        self.cafile = cafile
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.buf = b""
        self.tls = False
        if implicit_tls:
            self._wrap()

    # -- bytes -------------------------------------------------------------------------------
    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise Closed(f"connection closed by server (unparsed: {self.buf!r})")
        self.buf += chunk

    def read_line(self) -> bytes:
        while b"\n" not in self.buf:
            if len(self.buf) > 100_000:
                raise AssertionError(f"reply line too long: {self.buf[:200]!r}...")
            self._fill()
        line, _, self.buf = self.buf.partition(b"\n")
        return line + b"\n"

    # -- replies -----------------------------------------------------------------------------
    def reply(self) -> Reply:
        """Reads one (possibly multi-line) reply; every line must end in CRLF (RFC 5321 §4.2)."""
        lines, raw, code = [], "", None
        while True:
            line = self.read_line()
            raw += line.decode("utf-8", "replace")
            assert line.endswith(b"\r\n"), f"reply line not CRLF-terminated: {line!r}"
            text = line[:-2].decode("utf-8", "replace")
            m = re.match(r"^(\d{3})([ -])(.*)$", text) or re.match(r"^(\d{3})()()$", text)
            assert m, f"malformed reply line: {line!r}"
            this = int(m.group(1))
            assert code is None or code == this, f"reply code changed inside a multi-line reply: {raw!r}"
            code = this
            lines.append(m.group(3))
            if m.group(2) != "-":
                return Reply(code, lines, raw)

    def cmd(self, line: str | bytes) -> Reply:
        if isinstance(line, str):
            line = line.encode()
        self.send(line + b"\r\n")
        return self.reply()

    def greeting(self) -> Reply:
        return self.reply()

    def ehlo(self, name: str = "client.example.net") -> Reply:
        return expect(self.cmd(f"EHLO {name}"), 250)

    def starttls(self, server_hostname: str | None = None) -> Reply:
        r = expect(self.cmd("STARTTLS"), 220)
        assert self.buf == b"", f"server sent bytes after the STARTTLS reply: {self.buf!r}"
        self._wrap(server_hostname)
        return r

    def _wrap(self, server_hostname: str | None = None) -> None:
        ctx = client_context(self.cafile)
        self.sock = ctx.wrap_socket(self.sock, server_hostname=server_hostname or self.server_hostname)
        self.tls = True

    def data(self, message: bytes | str) -> Reply:
        """DATA with dot-stuffing done here; `message` uses CRLF line ends."""
        expect(self.cmd("DATA"), 354)
        self.send(dot_stuff(message) + b".\r\n")
        return self.reply()

    def send_mail(self, sender: str, recipients: list[str], message: bytes | str) -> Reply:
        """MAIL, RCPT..., DATA; asserts the envelope is accepted and returns the final reply."""
        expect(self.cmd(f"MAIL FROM:<{sender}>"), 250)
        for r in recipients:
            expect(self.cmd(f"RCPT TO:<{r}>"), 250)
        return self.data(message)

    def closed_by_server(self, wait: float = 5.0) -> bool:
        """True when the server closes the connection (EOF or reset) within `wait` seconds."""
        if self.buf:
            return False
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return False
        except (ConnectionResetError, ssl.SSLError, OSError):
            return True
        finally:
            try:
                self.sock.settimeout(self.timeout)
            except OSError:
                pass
        if chunk:
            self.buf += chunk
            return False
        return True

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def client_context(cafile: str | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if cafile:
        ctx.load_verify_locations(cafile)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def dot_stuff(message: bytes | str) -> bytes:
    """RFC 5321 §4.5.2: a line starting with '.' gets one more; the body must end in CRLF."""
    if isinstance(message, str):
        message = message.encode()
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    lines = message.split(b"\r\n")
    return b"\r\n".join(b"." + l if l.startswith(b".") else l for l in lines)


def make_message(token: str, sender: str = "sender@remote.example", to: str = "alice@example.test",
                 body: str = "Hello.\r\n") -> bytes:
    """A small RFC 5322 message carrying `token` in its Subject and Message-ID."""
    return (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: test {token}\r\n"
            f"Message-ID: <{token}@client.example.net>\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n"
            f"\r\n{body}").encode()


def queued_id(reply: Reply) -> str:
    """The queue id from `250 2.0.0 OK queued as <id>`."""
    expect(reply, 250, "2.0.0")
    m = re.match(r"^OK queued as (\S+)$", reply.text)
    assert m, f"expected '250 2.0.0 OK queued as <id>', server said: {reply}"
    return m.group(1)

