"""Many clients at once, and durability across kill -9 (DESIGN §3.4, §4)."""

import asyncio
import re
import socket
import threading
import time
import uuid

from smtp_raw import Closed, SMTPConn, expect, make_message, queued_id

CLIENTS = 300


async def _reply(reader: asyncio.StreamReader) -> tuple[int, str]:
    lines = []
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError(f"closed after {lines}")
        lines.append(line.decode(errors="replace").rstrip("\r\n"))
        if len(line) < 4 or line[3:4] != b"-":
            return int(lines[0][:3]), " | ".join(lines)


async def _client(port: int, n: int, all_connected: asyncio.Event, counter: list, tag: str) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        code, text = await _reply(reader)
        assert code == 220, f"client {n} greeting: {text}"
        counter[0] += 1
        if counter[0] == CLIENTS:
            all_connected.set()
        await asyncio.wait_for(all_connected.wait(), 60)
        for cmd, want in ((b"EHLO c%d.example.net" % n, 250), (b"MAIL FROM:<load%d@remote.example>" % n, 250),
                          (b"RCPT TO:<alice@example.test>", 250), (b"DATA", 354)):
            writer.write(cmd + b"\r\n")
            code, text = await _reply(reader)
            assert code == want, f"client {n} {cmd!r}: {text}"
        writer.write(make_message(f"{tag}-{n}") + b".\r\n")
        code, text = await _reply(reader)
        m = re.match(r"^250 2\.0\.0 OK queued as (\S+)$", text)
        assert m, f"client {n} end of data: {text}"
        writer.write(b"QUIT\r\n")
        code, text = await _reply(reader)
        assert code == 221, f"client {n} QUIT: {text}"
        return m.group(1)
    finally:
        writer.close()


async def _run_clients(port: int, tag: str) -> list:
    ev = asyncio.Event()
    counter = [0]
    return await asyncio.wait_for(
        asyncio.gather(*(_client(port, n, ev, counter, tag) for n in range(CLIENTS)), return_exceptions=True), 120)


def test_300_concurrent_transactions(make_server):
    srv = make_server(limits={"max_connections_per_ip": 1000, "max_connections": 2000})
    tag = uuid.uuid4().hex[:8]
    start = time.monotonic()
    results = asyncio.run(_run_clients(srv.port("smtp"), tag))
    elapsed = time.monotonic() - start
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, f"{len(errors)} of {CLIENTS} clients failed, e.g. {errors[:5]!r}"
    assert len(set(results)) == CLIENTS, "queue ids are not unique"
    queued = srv.queue_by_id()
    missing = [i for i in results if i not in queued]
    assert not missing, f"{len(missing)} accepted ids missing from queue list, e.g. {missing[:5]}"
    print(f"{CLIENTS} concurrent transactions in {elapsed:.1f}s")


def test_kill9_loses_no_accepted_message(make_server):
    srv = make_server(limits={"max_connections_per_ip": 100})
    accepted: dict[str, str] = {}  # queue id -> token
    lock = threading.Lock()
    stop = threading.Event()

    def sender(worker: int) -> None:
        n = 0
        while not stop.is_set():
            try:
                with SMTPConn(srv.port("smtp"), timeout=5) as c:
                    expect(c.greeting(), 220)
                    c.ehlo()
                    while not stop.is_set():
                        t = f"w{worker}-{n}-{uuid.uuid4().hex[:8]}"
                        n += 1
                        # Pipelined envelope (RFC 2920), then the message.
                        c.send(b"RSET\r\nMAIL FROM:<k@remote.example>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
                        for want in (250, 250, 250, 354):
                            expect(c.reply(), want)
                        body = f"token {t}\r\n" + "filler line\r\n" * 50
                        c.send(make_message(t, body=body) + b".\r\n")
                        qid = queued_id(c.reply())
                        with lock:
                            accepted[qid] = t
            except (Closed, OSError, AssertionError):
                if stop.is_set():
                    return
                time.sleep(0.05)

    workers = [threading.Thread(target=sender, args=(i,), daemon=True) for i in range(4)]
    for w in workers:
        w.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with lock:
            if len(accepted) >= 60:
                break
        time.sleep(0.05)
    srv.kill9()  # mid-stream: the workers are in the middle of transactions
    stop.set()
    for w in workers:
        w.join(10)
    with lock:
        snapshot = dict(accepted)
    assert len(snapshot) >= 20, f"only {len(snapshot)} messages accepted before the kill"

    srv.start()
    queued = srv.queue_by_id()
    missing = [i for i in snapshot if i not in queued]
    assert not missing, f"{len(missing)} of {len(snapshot)} acknowledged messages lost after kill -9: {missing[:5]}"
    for qid, t in snapshot.items():
        shown = srv.show(qid)
        assert f"token {t}" in shown and shown.replace("\r\n", "\n").count("filler line\n") == 50, \
            f"message {qid} damaged after kill -9:\n{shown[:2000]}"
    # The restarted server takes mail again.
    with SMTPConn(srv.port("smtp")) as c:
        expect(c.greeting(), 220)
        c.ehlo()
        queued_id(c.send_mail("s@remote.example", ["alice@example.test"], make_message("after-restart")))


def test_shutdown_with_open_connections(make_server):
    """SIGTERM with idle clients connected: they get 421 4.3.2 (or a close), the server exits 0."""
    srv = make_server()
    conns = []
    for _ in range(5):
        c = SMTPConn(srv.port("smtp"))
        expect(c.greeting(), 220)
        c.ehlo()
        conns.append(c)
    srv.stop()  # asserts exit code 0
    for c in conns:
        try:
            c.sock.settimeout(5)
            r = c.reply()
            expect(r, 421, "4.3.2")
        except (Closed, ConnectionResetError):
            pass
        except socket.timeout:
            raise AssertionError("client connection left open after the server exited")
        c.close()
