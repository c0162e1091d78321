"""The command line: check-config, user add, queue list/show, start-up failures."""

import json
import re
import socket
import subprocess
import textwrap

import pytest

import postern_harness as h
from smtp_raw import SMTPConn, expect


def write(tmp_path, text: str):
    h.make_cert(tmp_path)  # cert.pem / cert-key.pem beside the config
    cfg = tmp_path / "postern.toml"
    cfg.write_text(textwrap.dedent(text).lstrip("\n"))
    return cfg


GOOD = """
hostname = "mx.example.test"
local_domains = ["example.test"]
data_dir = "data"

[limits]
max_message_size = "10M"
max_recipients = 50
idle_timeout = "30s"
command_timeout = "1m"
max_connections = 100
max_connections_per_ip = 10

[[tls.certificate]]
cert = "cert.pem"
key = "cert-key.pem"

[[listener]]
kind = "smtp"
address = "127.0.0.1:2525"
trusted_networks = ["127.0.0.2/32", "10.0.0.0/8", "::1/128"]

[[listener]]
kind = "submission"
address = "127.0.0.1:2587"

[[listener]]
kind = "submissions"
address = "[::1]:2465"
"""


def check(cfg) -> subprocess.CompletedProcess:
    return h.run([h.postern_bin(), "check-config", "--config", str(cfg)], check=False)


def test_check_config_ok(tmp_path):
    cfg = write(tmp_path, GOOD)
    p = check(cfg)
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout.decode().strip() == f"{cfg}: ok", p.stdout


# (name, replace this line of GOOD, with this, 1-based line of the error, words the message must have)
BROKEN = [
    ("unknown kind", 'kind = "smtp"', 'kind = "pop3"', 18, ["pop3"]),
    ("address without port", 'address = "127.0.0.1:2525"', 'address = "127.0.0.1"', 19, ["address"]),
    ("port out of range", 'address = "127.0.0.1:2525"', 'address = "127.0.0.1:70000"', 19, ["address"]),
    ("bad size unit", 'max_message_size = "10M"', 'max_message_size = "10Q"', 6, ["max_message_size"]),
    ("negative limit", "max_recipients = 50", "max_recipients = -1", 7, ["max_recipients"]),
    ("bad duration", 'idle_timeout = "30s"', 'idle_timeout = "soon"', 8, ["idle_timeout"]),
    ("bad cidr", '"10.0.0.0/8"', '"10.0.0.0/33"', 20, ["10.0.0.0/33"]),
    ("toml syntax", 'hostname = "mx.example.test"', "hostname = ", 1, []),
    ("unknown key", "max_recipients = 50", "max_recipient = 50", 7, ["max_recipient"]),
    ("unknown listener key", 'kind = "smtp"', 'kind = "smtp"\nrequire_tsl = true', 19, ["require_tsl"]),
    ("wrong type", "max_recipients = 50", 'max_recipients = "many"', 7, ["max_recipients"]),
    ("missing certificate file", 'cert = "cert.pem"', 'cert = "missing.pem"', 14, ["missing.pem"]),
]


@pytest.mark.parametrize("name,old,new,line,words", BROKEN, ids=[b[0] for b in BROKEN])
def test_check_config_errors(tmp_path, name, old, new, line, words):
    assert old in GOOD
    cfg = write(tmp_path, GOOD.replace(old, new, 1))
    p = check(cfg)
    err = p.stderr.decode()
    assert p.returncode == 2, f"{name}: exit {p.returncode}, stderr: {err!r}"
    first = err.strip().splitlines()[0] if err.strip() else ""
    assert first.startswith(f"{cfg}:{line}: "), f"{name}: expected '{cfg}:{line}: ...', got {err!r}"
    for w in words:
        assert w in first, f"{name}: message should mention {w!r}: {first!r}"


@pytest.mark.parametrize("name,old,new,words", [
    ("missing hostname", 'hostname = "mx.example.test"\n', "", ["hostname"]),
    ("no local domains", 'local_domains = ["example.test"]', "local_domains = []", ["local_domains"]),
    ("no listeners", None, None, ["listener"]),
])
def test_check_config_errors_without_line(tmp_path, name, old, new, words):
    text = GOOD.replace(old, new, 1) if old else GOOD[: GOOD.index("[[listener]]")]
    cfg = write(tmp_path, text)
    p = check(cfg)
    err = p.stderr.decode().strip()
    assert p.returncode == 2, f"{name}: exit {p.returncode}, stderr: {err!r}"
    assert err.startswith(f"{cfg}:"), err
    for w in words:
        assert w in err, f"{name}: message should mention {w!r}: {err!r}"


def test_check_config_submission_needs_certificate(tmp_path):
    start = GOOD.index("[[tls.certificate]]")
    end = GOOD.index("[[listener]]")
    cfg = write(tmp_path, GOOD[:start] + GOOD[end:])
    p = check(cfg)
    assert p.returncode == 2, p.stderr.decode()
    assert p.stderr.decode().startswith(f"{cfg}:"), p.stderr.decode()


def test_check_config_missing_file(tmp_path):
    p = check(tmp_path / "nope.toml")
    assert p.returncode != 0
    assert "nope.toml" in p.stderr.decode()


def test_serve_refuses_broken_config(tmp_path):
    cfg = write(tmp_path, GOOD.replace('kind = "smtp"', 'kind = "pop3"'))
    p = h.run([h.postern_bin(), "serve", "--config", str(cfg)], check=False, timeout=20)
    assert p.returncode != 0
    assert f"{cfg}:18:" in p.stderr.decode(), p.stderr.decode()


def test_serve_fails_cleanly_when_port_taken(make_server):
    srv = make_server(start=False)
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", srv.port("submission")))
    blocker.listen()
    try:
        p = h.run([h.postern_bin(), "serve", "--config", str(srv.config)], check=False, timeout=20)
        assert p.returncode != 0
        assert str(srv.port("submission")) in p.stderr.decode(), p.stderr.decode()
    finally:
        blocker.close()


def test_queue_empty_and_show_unknown(make_server):
    srv = make_server()
    assert srv.queue() == []
    p = srv.cli("queue", "show", "does-not-exist", check=False)
    assert p.returncode != 0


def test_user_add_makes_recipient_known(make_server):
    srv = make_server(accounts={})
    with SMTPConn(srv.port("smtp")) as c:
        expect(c.greeting(), 220)
        c.ehlo()
        expect(c.cmd("MAIL FROM:<x@remote.example>"), 250)
        expect(c.cmd("RCPT TO:<carol@example.test>"), 550, "5.1.1")
    srv.stop()
    srv.cli("user", "add", "carol@example.test", "--password-stdin", input=b"carol-password-9\n")
    srv.start()
    with SMTPConn(srv.port("smtp")) as c:
        expect(c.greeting(), 220)
        c.ehlo()
        expect(c.cmd("MAIL FROM:<x@remote.example>"), 250)
        expect(c.cmd("RCPT TO:<carol@example.test>"), 250, "2.1.5")


def test_user_add_on_fresh_install(tmp_path):
    """The first `user add`, before the server ever ran, creates what it needs under data_dir."""
    cfg = write(tmp_path, GOOD)
    assert not (tmp_path / "data").exists()
    h.run([h.postern_bin(), "user", "add", "erin@example.test", "--password-stdin", "--config", str(cfg)],
          input=b"erin-password-77\n")
    assert (tmp_path / "data" / "postern.db").exists()


def test_user_add_stores_no_plaintext(make_server):
    srv = make_server(start=False, accounts={"dave@example.test": "unmistakable-Passw0rd"})
    db = srv.data_dir / "postern.db"
    assert db.exists(), "user add should create data_dir/postern.db"
    assert b"unmistakable-Passw0rd" not in db.read_bytes()


def test_queue_list_json_shape(make_server):
    srv = make_server()
    with SMTPConn(srv.port("smtp")) as c:
        expect(c.greeting(), 220)
        c.ehlo("shape.example.net")
        from smtp_raw import make_message, queued_id  # noqa: PLC0415
        qid = queued_id(c.send_mail("s@remote.example", ["alice@example.test"], make_message("shape")))
    recs = srv.queue()
    assert len(recs) == 1, recs
    rec = recs[0]
    for key in ("id", "sender", "recipients", "size", "message_id", "auth", "received", "client", "helo", "tls"):
        assert key in rec, f"{key} missing from {json.dumps(rec)}"
    assert rec["id"] == qid
    assert set(rec["client"]) >= {"address", "port"}, rec


def test_operator_commands_are_listed_in_the_help():
    """DESIGN §1 "admin": lockout and stats beside user and credential; their options in the help."""
    top = h.run([h.postern_bin(), "--help"]).stdout.decode()
    for command in ("lockout", "stats", "user", "credential", "audit"):
        assert re.search(rf"^\s+{command}\s", top, re.M), top
    user = h.run([h.postern_bin(), "user", "--help"]).stdout.decode()
    assert re.search(r"^\s+limits\s", user, re.M) and re.search(r"^\s+sender\s", user, re.M), user
    limits = h.run([h.postern_bin(), "user", "limits", "--help"]).stdout.decode()
    for option in ("--credential", "--messages-per-hour", "--messages-per-day", "--recipients-per-hour",
                   "--recipients-per-day", "--unlimited", "--clear", "--config"):
        assert option in limits, limits
    credential = h.run([h.postern_bin(), "credential", "--help"]).stdout.decode()
    assert re.search(r"^\s+suspend\s", credential, re.M) and re.search(r"^\s+resume\s", credential, re.M), credential
    # A group without its subcommand is a usage error.
    p = h.run([h.postern_bin(), "lockout"], check=False)
    assert p.returncode == 2 and b"subcommand" in p.stderr.lower(), p
