"""Per-listener allow_networks / deny_networks, decided at connect: 554 5.7.1 instead of the
220 greeting (RFC 5321 §3.1), then the connection is closed."""

import socket
import time

from smtp_raw import SMTPConn, expect


def served(srv, source=None, kind="smtp"):
    """A client from `source` gets the 220 greeting and a working session."""
    with SMTPConn(srv.port(kind), source=source) as c:
        expect(c.greeting(), 220)
        expect(c.ehlo(), 250)
        expect(c.cmd("NOOP"), 250)
        expect(c.cmd("QUIT"), 221)


def refused(srv, source, kind="smtp"):
    """A client from `source` hears 554 5.7.1 at connect; RFC 5321 §3.1: then every command but
    QUIT gets 503, and QUIT gets 221 and the end of the connection."""
    with SMTPConn(srv.port(kind), source=source) as c:
        expect(c.greeting(), 554, "5.7.1")
        expect(c.cmd("EHLO client.example.net"), 503, "5.7.1")
        expect(c.cmd("MAIL FROM:<a@remote.example>"), 503, "5.7.1")
        expect(c.cmd("QUIT"), 221)
        assert c.closed_by_server(), "the server kept the refused connection open after QUIT"


def test_refused_client_that_says_nothing_is_dropped(make_server):
    srv = make_server(listeners=["smtp"], extra_toml='deny_networks = ["127.0.0.3/32"]')
    with SMTPConn(srv.port("smtp"), source="127.0.0.3") as c:
        expect(c.greeting(), 554, "5.7.1")
        # The server waits a bounded time (10 s) for QUIT, then hangs up by itself.
        assert c.closed_by_server(wait=15.0), "a silent refused client was kept forever"


def test_deny_networks_refuses_listed_address_only(make_server):
    srv = make_server(listeners=["smtp"], extra_toml='deny_networks = ["127.0.0.3/32"]')
    refused(srv, "127.0.0.3")
    served(srv, "127.0.0.1")
    # A neighbour outside the /32 is not caught.
    served(srv, "127.0.0.4")
    # Refusing is not a state: the address is refused again, the others still served.
    refused(srv, "127.0.0.3")
    served(srv, "127.0.0.1")
    assert "refused connection from 127.0.0.3" in srv.stderr(), srv.stderr()


def test_allow_networks_refuses_everyone_else(make_server):
    srv = make_server(listeners=["smtp"], extra_toml='allow_networks = ["127.0.0.1/32"]')
    refused(srv, "127.0.0.2")
    refused(srv, "127.0.0.3")
    served(srv, "127.0.0.1")


def test_deny_wins_over_allow(make_server):
    srv = make_server(listeners=["smtp"],
                      extra_toml='allow_networks = ["127.0.0.0/8"]\ndeny_networks = ["127.0.0.3/32"]')
    refused(srv, "127.0.0.3")
    served(srv, "127.0.0.2")
    served(srv, "127.0.0.1")


def test_lists_are_per_listener(make_server):
    # extra_toml lands in the last listener: submission; the smtp listener has no lists.
    srv = make_server(listeners=["smtp", "submission"], extra_toml='deny_networks = ["127.0.0.3/32"]')
    refused(srv, "127.0.0.3", kind="submission")
    served(srv, "127.0.0.3", kind="smtp")


def test_implicit_tls_listener_just_closes(make_server):
    srv = make_server(listeners=["submissions"], extra_toml='deny_networks = ["127.0.0.3/32"]')
    s = socket.create_connection(("127.0.0.1", srv.port("submissions")), timeout=5, source_address=("127.0.0.3", 0))
    try:
        # No plaintext reply (the client expects a TLS handshake), just the end of the stream.
        assert s.recv(4096) == b""
    finally:
        s.close()
    assert "refused connection from 127.0.0.3" in srv.stderr(), srv.stderr()


def test_refusal_uses_no_connection_slot(make_server):
    srv = make_server(listeners=["smtp"], limits={"max_connections": 1, "max_connections_per_ip": 1},
                      extra_toml='deny_networks = ["127.0.0.3/32"]')
    time.sleep(0.3)  # let the server notice the start-up probes have gone
    # Many refused connections in a row, some left open by the client: none holds the one slot.
    held = []
    try:
        for _ in range(5):
            c = SMTPConn(srv.port("smtp"), source="127.0.0.3")
            expect(c.greeting(), 554, "5.7.1")
            held.append(c)
        with SMTPConn(srv.port("smtp")) as c:
            expect(c.greeting(), 220)
            expect(c.cmd("NOOP"), 250)
            # The one slot is now taken: the denied address still hears why it is refused
            # (access is decided before the limits), anyone else gets the 421.
            with SMTPConn(srv.port("smtp"), source="127.0.0.3") as denied:
                expect(denied.greeting(), 554, "5.7.1")
            with SMTPConn(srv.port("smtp"), source="127.0.0.2") as over:
                expect(over.greeting(), 421, "4.7.0")
    finally:
        for c in held:
            c.close()
