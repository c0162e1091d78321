"""`postern serve --dev`: a working server from nothing, on the fixed ports 2525/2587/2465."""

import base64
import concurrent.futures
import json
import re
import signal
import urllib.request
import socket
import subprocess
import time

import pytest

import postern_harness as h
from smtp_raw import SMTPConn, expect, make_message, queued_id

DEV_PORTS = {"smtp": 2525, "submission": 2587, "submissions": 2465, "metrics": 2580}


def ports_free() -> list[int]:
    busy = []
    for port in DEV_PORTS.values():
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                busy.append(port)
    return busy


class DevServer:
    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.out = data_dir.parent / "dev.out"
        self.err = data_dir.parent / "dev.err"
        self.proc = None

    def start(self):
        with open(self.out, "ab") as out, open(self.err, "ab") as err:
            self.proc = subprocess.Popen([h.postern_bin(), "serve", "--dev", "--data-dir", str(self.data_dir)],
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        deadline = time.monotonic() + 20
        for kind, port in DEV_PORTS.items():
            while True:
                assert self.proc.poll() is None, f"dev server exited {self.proc.returncode}:\n{self.output()}"
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, f"dev server not listening on {port}:\n{self.output()}"
                    time.sleep(0.05)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(15)
        assert rc == 0, f"dev server exited {rc} after SIGTERM:\n{self.output()}"

    def output(self) -> str:
        text = ""
        for f in (self.out, self.err):
            if f.exists():
                text += f.read_text(errors="replace")
        return text


@pytest.mark.serial
def test_dev_mode_from_scratch(tmp_path):
    busy = ports_free()
    assert not busy, f"dev-mode ports {busy} are in use by another process; this test needs them"
    data = tmp_path / "postern-dev"
    dev = DevServer(data)
    dev.start()
    try:
        m = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not m:
            m = re.search(r"demo account: demo@example\.test password: (\S+)", dev.output())
            time.sleep(0.05)
        assert m, f"no 'demo account: demo@example.test password: ...' line:\n{dev.output()}"
        assert len(m.group(1)) >= 12, f"demo password too short to be random: {m.group(1)!r}"
        for f in ("postern.toml", "tls/cert.pem", "postern.db"):
            assert (data / f).exists(), f"dev mode did not create {f}"
        assert m.group(1).encode() not in (data / "postern.db").read_bytes(), "plaintext password in postern.db"

        p = h.run([h.postern_bin(), "check-config", "--config", str(data / "postern.toml")], check=False)
        assert p.returncode == 0, p.stderr.decode()

        with SMTPConn(DEV_PORTS["smtp"]) as c:
            expect(c.greeting(), 220)
            kw = c.ehlo().keywords()
            assert "STARTTLS" in kw, kw
            expect(c.cmd("MAIL FROM:<x@remote.example>"), 250)
            expect(c.cmd("RCPT TO:<demo@example.test>"), 250, "2.1.5")
            qid = queued_id(c.data(make_message("dev-mode", to="demo@example.test")))
        q = h.run([h.postern_bin(), "queue", "list", "--json", "--config", str(data / "postern.toml")])
        assert qid in q.stdout.decode()
        with SMTPConn(DEV_PORTS["submission"]) as c:
            expect(c.greeting(), 220)
            c.ehlo()
            c.starttls()
            c.ehlo()
        with SMTPConn(DEV_PORTS["submissions"], implicit_tls=True) as c:
            expect(c.greeting(), 220)
            c.ehlo()
            # Loopback is not exempt in dev mode: eleven failed logins from 127.0.0.9 (four
            # connections at once, three failures each at most, 2 s apart) put the address over
            # the limit of ten, and the JSON events on stderr and /metrics show them.

        def guess(n: int) -> None:
            with SMTPConn(DEV_PORTS["submission"], source="127.0.0.9", timeout=30) as g:
                expect(g.greeting(), 220)
                g.ehlo()
                g.starttls()
                g.ehlo()
                for i in range(3 if n < 3 else 2):
                    expect(g.cmd("AUTH PLAIN " + base64.b64encode(f"\0demo@example.test\0wrong-{n}-{i}".encode()).decode()), 535)

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(guess, range(4)))
        with SMTPConn(DEV_PORTS["submission"], source="127.0.0.9") as c:
            expect(c.greeting(), 421, "4.7.0")
        listing = h.run([h.postern_bin(), "lockout", "list", "--config", str(data / "postern.toml")])
        deadline = time.monotonic() + 5
        while "127.0.0.9" not in listing.stdout.decode() and time.monotonic() < deadline:
            time.sleep(0.2)
            listing = h.run([h.postern_bin(), "lockout", "list", "--config", str(data / "postern.toml")])
        assert "127.0.0.9" in listing.stdout.decode(), listing.stdout.decode()
        metrics = urllib.request.urlopen("http://127.0.0.1:2580/metrics", timeout=5).read().decode()
        assert re.search(r'^postern_auth_attempts_total\{mechanism="PLAIN",result="failed"\} [1-9]', metrics, re.M), metrics
        events = [json.loads(line) for line in dev.err.read_text(errors="replace").splitlines() if line.startswith("{")]
        assert any(e["event"] == "auth" and e["result"] == "failed" and e["client_ip"] == "127.0.0.9" for e in events)
    finally:
        dev.stop()

    # A second start reuses what the first created.
    cert = (data / "tls/cert.pem").read_bytes()
    config = (data / "postern.toml").read_text()
    dev.start()
    try:
        with SMTPConn(DEV_PORTS["smtp"]) as c:
            expect(c.greeting(), 220)
            c.ehlo()
    finally:
        dev.stop()
    assert (data / "tls/cert.pem").read_bytes() == cert, "dev mode regenerated its certificate"
    assert (data / "postern.toml").read_text() == config, "dev mode rewrote its config"
