"""The operator commands against the real binary and real files: `user limits`, `user sender`,
`credential suspend|resume`, `lockout list|clear` and `stats`. Every change must land in the
audit trail with the actor `cli uid=N`; errors go to stderr with a non-zero exit (2 for a usage
error, 1 for a refusal of the store).

`lockout` and `stats` read the state database the server writes (data_dir/state.db). Where a
test needs exact contents it starts the server once so that the server creates the file, then
writes the rows itself with sqlite3, as the server would publish them."""

from __future__ import annotations

import base64
import datetime
import json
import os
import pwd
import re
import sqlite3
import stat
import time

import pytest

import postern_harness as h
from smtp_raw import SMTPConn, expect, make_message, queued_id

ALICE, ALICE_PW = "alice@example.test", "alice-secret-1"
BOB = "bob@example.test"
USAGE, FAILURE = 2, 1

# Defaults that differ from the built-in ones, so that the listing shows where they come from;
# recipients_per_hour 0 means "no limit of that kind".
DEFAULTS = """
[rate_limits.account]
messages_per_hour = 30
messages_per_day = 300
recipients_per_hour = 0
recipients_per_day = 900
"""


@pytest.fixture
def srv(make_server):
    """Configuration and accounts (alice, bob); no server process."""
    return make_server(start=False, extra_toml=DEFAULTS)


def ok(srv: h.Server, *args: str) -> str:
    return srv.cli(*args).stdout.decode()


def refused(srv: h.Server, *args: str, code: int) -> str:
    """Runs a command that must fail with `code`; returns its stderr (stdout must be empty)."""
    p = srv.cli(*args, check=False)
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    assert p.stdout == b"", p.stdout
    err = p.stderr.decode()
    assert err.startswith("postern: ") or code == USAGE, err
    return err


def audit(srv: h.Server) -> list[dict]:
    return json.loads(srv.cli("audit", "--json").stdout)


def actor() -> str:
    uid = os.getuid()
    return f"cli uid={uid}({pwd.getpwuid(uid).pw_name})"


def state_db(srv: h.Server):
    return sqlite3.connect(srv.data_dir / "state.db")


def server_made_state(srv: h.Server) -> None:
    """Starts and stops the server once: it creates data_dir/state.db as it does in production."""
    srv.start()
    srv.stop()
    assert (srv.data_dir / "state.db").exists()


def plain(user: str, password: str) -> str:
    return "AUTH PLAIN " + base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()


def auth_code(srv: h.Server, user: str, password: str) -> int:
    c = SMTPConn(srv.port("submissions"), implicit_tls=True, cafile=srv.cafile)
    try:
        expect(c.greeting(), 220)
        c.ehlo()
        return c.cmd(plain(user, password)).code
    finally:
        c.close()


def wait_for(check, timeout: float = 8.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def rfc3339(t: str) -> datetime.datetime:
    return datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


# ---- user limits --------------------------------------------------------------------------------

def test_limits_without_options_show_the_defaults(srv):
    out = ok(srv, "user", "limits", ALICE)
    assert out.splitlines() == [
        f"limits of account {ALICE}:",
        "  no override: the defaults of the configuration apply",
        "  messages per hour     30 (default)",
        "  messages per day      300 (default)",
        "  recipients per hour   none (default)",
        "  recipients per day    900 (default)",
    ]
    assert audit(srv)[0]["action"] == "account.add", "showing changes nothing"


def test_limits_set_merge_unlimited_and_clear(srv):
    out = ok(srv, "user", "limits", ALICE, "--messages-per-hour", "50")
    assert "limit override set" in out
    assert "  messages per hour     50 (override; default 30)" in out.splitlines()
    assert "  messages per day      300 (default)" in out.splitlines()

    # Options given replace those limits; the others stay.
    out = ok(srv, "user", "limits", ALICE, "--recipients-per-day", "7", "--messages-per-day", "400")
    lines = out.splitlines()
    assert "  messages per hour     50 (override; default 30)" in lines
    assert "  messages per day      400 (override; default 300)" in lines
    assert "  recipients per day    7 (override; default 900)" in lines

    out = ok(srv, "user", "limits", ALICE, "--unlimited")
    assert "  unlimited (override): no sending limit applies" in out.splitlines()
    assert "unlimited" in ok(srv, "user", "limits", ALICE)

    # A number without --unlimited ends it; the kept limits are back.
    lines = ok(srv, "user", "limits", ALICE, "--messages-per-hour", "60").splitlines()
    assert "  messages per hour     60 (override; default 30)" in lines
    assert "  recipients per day    7 (override; default 900)" in lines
    assert not any("unlimited" in line for line in lines)

    out = ok(srv, "user", "limits", ALICE, "--clear")
    assert "limit override removed" in out
    assert "  no override: the defaults of the configuration apply" in out.splitlines()

    entries = audit(srv)
    changes = [(e["action"], e["detail"]) for e in entries if e["action"].startswith("limits.")]
    assert changes == [
        ("limits.clear", ""),
        ("limits.set", "messages_per_hour=60 messages_per_day=400 recipients_per_day=7"),
        ("limits.set", "messages_per_hour=50 messages_per_day=400 recipients_per_day=7 unlimited"),
        ("limits.set", "messages_per_hour=50 messages_per_day=400 recipients_per_day=7"),
        ("limits.set", "messages_per_hour=50"),
    ]
    assert all(e["subject"] == ALICE and e["actor"].startswith(actor()) for e in entries if e["action"].startswith("limits."))


def test_limits_of_one_credential(srv):
    ok(srv, "credential", "add", ALICE, "--name", "phone")
    out = ok(srv, "user", "limits", ALICE, "--credential", "phone", "--messages-per-day", "5")
    assert f"limits of credential phone of {ALICE} (the account's limits apply as well):" in out
    # The configured per-credential defaults are none.
    assert "  messages per day      5 (override; default none)" in out.splitlines()
    assert "  messages per hour     none (default)" in out.splitlines()
    # The account's own override is apart.
    assert "no override" in ok(srv, "user", "limits", ALICE)
    ok(srv, "user", "limits", ALICE, "--credential", "oauth", "--unlimited")
    assert "unlimited" in ok(srv, "user", "limits", ALICE, "--credential", "oauth")
    assert audit(srv)[1]["detail"] == "credential phone: messages_per_day=5"
    assert audit(srv)[0]["detail"] == "credential oauth: unlimited"


@pytest.mark.parametrize("value", ["0", "abc", "1.5", "", "99999999999999999999", "9223372036854775808", "=-5", " 5"])
def test_limits_refuse_a_bad_value(srv, value):
    args = ["--messages-per-hour=" + value[1:]] if value.startswith("=") else ["--messages-per-hour", value]
    err = refused(srv, "user", "limits", ALICE, *args, code=USAGE)
    assert "--messages-per-hour" in err
    assert "no override" in ok(srv, "user", "limits", ALICE)
    assert not any(e["action"].startswith("limits.") for e in audit(srv))


def test_limits_errors(srv):
    assert "no account nobody@example.test" in refused(srv, "user", "limits", "nobody@example.test", code=FAILURE)
    assert "not a local domain" in refused(srv, "user", "limits", "x@elsewhere.example", "--clear", code=USAGE)
    assert "--clear excludes" in refused(srv, "user", "limits", ALICE, "--clear", "--unlimited", code=USAGE)
    assert "--clear excludes" in refused(srv, "user", "limits", ALICE, "--clear", "--messages-per-day", "4", code=USAGE)
    assert "no credential tablet" in refused(srv, "user", "limits", ALICE, "--credential", "tablet",
                                             "--messages-per-day", "4", code=FAILURE)
    assert "not a credential name" in refused(srv, "user", "limits", ALICE, "--credential", "a/b", code=USAGE)
    assert "no limit override" in refused(srv, "user", "limits", ALICE, "--clear", code=FAILURE)
    assert "9223372036854775807" in ok(srv, "user", "limits", ALICE, "--messages-per-hour", "9223372036854775807")


# ---- user sender --------------------------------------------------------------------------------

def test_sender_add_list_remove(srv):
    assert ok(srv, "user", "sender", "list", ALICE) == ""
    assert ok(srv, "user", "sender", "add", ALICE, "@Example.ORG") == f"{ALICE} may now send as @example.org\n"
    ok(srv, "user", "sender", "add", ALICE, "<>")
    ok(srv, "user", "sender", "add", ALICE, "Shop@partner.example")
    assert ok(srv, "user", "sender", "list", ALICE).splitlines() == ["<>", "@example.org", "Shop@partner.example"]
    assert ok(srv, "user", "sender", "list", BOB) == ""

    listing = ok(srv, "user", "list").splitlines()
    i = listing.index(ALICE)
    assert listing[i + 1:i + 4] == ["  sender <>", "  sender @example.org", "  sender Shop@partner.example"]

    # The local part compares without case, like the store's addresses.
    assert ok(srv, "user", "sender", "remove", ALICE, "shop@PARTNER.example") == \
        f"{ALICE} may no longer send as shop@partner.example\n"
    assert ok(srv, "user", "sender", "list", ALICE).splitlines() == ["<>", "@example.org"]

    changes = [(e["action"], e["subject"], e["detail"]) for e in audit(srv) if e["action"].startswith("sender.")]
    assert changes == [("sender.remove", ALICE, "shop@partner.example"), ("sender.add", ALICE, "Shop@partner.example"),
                       ("sender.add", ALICE, "<>"), ("sender.add", ALICE, "@example.org")]


@pytest.mark.parametrize("grant", ["not-a-grant", "@", "@[127.0.0.1]", "a b@example.org", "x@", "<x@example.org>",
                                   "\"q\"@example.org", "@exa mple.org"])
def test_sender_refuses_a_bad_grant(srv, grant):
    err = refused(srv, "user", "sender", "add", ALICE, grant, code=USAGE)
    assert "local@domain, @domain or <>" in err
    assert ok(srv, "user", "sender", "list", ALICE) == ""


def test_sender_errors(srv):
    ok(srv, "user", "sender", "add", ALICE, "@example.org")
    assert "may already send as @example.org" in refused(srv, "user", "sender", "add", ALICE, "@EXAMPLE.org", code=FAILURE)
    assert "no sender grant <> for" in refused(srv, "user", "sender", "remove", ALICE, "<>", code=FAILURE)
    assert "no account nobody@example.test" in refused(srv, "user", "sender", "add", "nobody@example.test", "<>",
                                                        code=FAILURE)
    assert "no account" in refused(srv, "user", "sender", "list", "nobody@example.test", code=FAILURE)
    assert "not a local domain" in refused(srv, "user", "sender", "add", "x@elsewhere.example", "<>", code=USAGE)
    refused(srv, "user", "sender", "add", ALICE, code=USAGE)  # GRANT is required


def test_a_granted_domain_is_a_sender_on_the_running_server(srv):
    srv.start()
    with SMTPConn(srv.port("submissions"), implicit_tls=True, cafile=srv.cafile) as c:
        expect(c.greeting(), 220)
        c.ehlo()
        expect(c.cmd(plain(ALICE, ALICE_PW)), 235)
        expect(c.cmd("MAIL FROM:<news@example.org>"), 553, "5.7.1")
        ok(srv, "user", "sender", "add", ALICE, "@example.org")
    # The identity (and with it what it may send as) is resolved at login: a new login sees it.
    with SMTPConn(srv.port("submissions"), implicit_tls=True, cafile=srv.cafile) as c:
        expect(c.greeting(), 220)
        c.ehlo()
        expect(c.cmd(plain(ALICE, ALICE_PW)), 235)
        expect(c.cmd("MAIL FROM:<news@example.org>"), 250)
        expect(c.cmd(f"RCPT TO:<{BOB}>"), 250)
        queued_id(c.data(make_message("granted", sender="news@example.org", to=BOB)))


# ---- credential suspend / resume ----------------------------------------------------------------

def test_suspend_and_resume_an_app_password(srv):
    ok(srv, "credential", "add", ALICE, "--name", "phone")
    out = ok(srv, "credential", "suspend", ALICE, "phone", "--reason", "abuse report 42")
    assert out.startswith(f"credential phone of {ALICE} suspended")
    line = ok(srv, "credential", "list", ALICE).strip()
    m = re.search(r" suspended=(\S+) reason=\"abuse report 42\"$", line)
    assert m, line
    assert abs((datetime.datetime.now(datetime.timezone.utc) - rfc3339(m.group(1))).total_seconds()) < 300
    listed = json.loads(srv.cli("credential", "list", ALICE, "--json").stdout)
    assert listed[0]["suspended"] == m.group(1) and listed[0]["suspend_reason"] == "abuse report 42"

    assert ok(srv, "credential", "resume", ALICE, "phone") == f"credential phone of {ALICE} resumed\n"
    listed = json.loads(srv.cli("credential", "list", ALICE, "--json").stdout)
    assert listed[0]["suspended"] is None and listed[0]["suspend_reason"] == ""
    assert "suspended=" not in ok(srv, "credential", "list", ALICE)

    entries = [e for e in audit(srv) if e["action"].startswith("credential.")]
    assert [(e["action"], e["detail"]) for e in entries[:2]] == [("credential.resume", "phone"),
                                                                 ("credential.suspend", "phone: abuse report 42")]
    assert all(e["actor"].startswith(actor()) and e["subject"] == ALICE for e in entries)


def test_suspend_the_account_password_shows_in_the_account_listing(srv):
    ok(srv, "credential", "suspend", ALICE, "password", "--reason", "phished")
    listing = ok(srv, "user", "list").splitlines()
    i = listing.index(ALICE)
    assert re.fullmatch(r"  suspended password since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: phished", listing[i + 1]), listing
    ok(srv, "credential", "suspend", ALICE, "oauth")
    assert any(re.fullmatch(r"  suspended oauth since \S+Z", line) for line in ok(srv, "user", "list").splitlines())


def test_suspend_errors(srv):
    ok(srv, "credential", "add", ALICE, "--name", "phone")
    assert "no credential tablet" in refused(srv, "credential", "suspend", ALICE, "tablet", code=FAILURE)
    assert "not a credential name" in refused(srv, "credential", "suspend", ALICE, "a/b", code=USAGE)
    assert "no account" in refused(srv, "credential", "suspend", "nobody@example.test", "password", code=FAILURE)
    ok(srv, "credential", "suspend", ALICE, "phone")
    assert "already suspended" in refused(srv, "credential", "suspend", ALICE, "phone", code=FAILURE)
    assert "is not suspended" in refused(srv, "credential", "resume", ALICE, "password", code=FAILURE)
    assert "control characters" in refused(srv, "credential", "suspend", ALICE, "password", "--reason", "a\nb",
                                           code=FAILURE)
    assert sum(e["action"] == "credential.suspend" for e in audit(srv)) == 1


def test_a_suspended_credential_cannot_log_in_to_the_running_server(srv):
    app_password = json.loads(srv.cli("credential", "add", ALICE, "--name", "phone", "--json").stdout)["password"]
    srv.start()
    assert auth_code(srv, f"{ALICE}/phone", app_password) == 235
    ok(srv, "credential", "suspend", ALICE, "phone")
    # Refused exactly like a wrong password (DESIGN §3.7), at once: the cache sees the change.
    assert auth_code(srv, f"{ALICE}/phone", app_password) == 535
    assert auth_code(srv, ALICE, ALICE_PW) == 235
    ok(srv, "credential", "suspend", ALICE, "password")
    assert auth_code(srv, ALICE, ALICE_PW) == 535
    ok(srv, "credential", "resume", ALICE, "phone")
    assert auth_code(srv, f"{ALICE}/phone", app_password) == 235


# ---- lockout list / clear -----------------------------------------------------------------------

def publish(srv: h.Server, rows, written: int) -> None:
    """Writes a lockout listing as the server publishes it."""
    with state_db(srv) as db:
        db.execute("DELETE FROM lockouts")
        db.executemany("INSERT INTO lockouts (position, scope, key, failures, until, slowed_only) "
                       "VALUES (?, ?, ?, ?, ?, ?)", [(i + 1, *r) for i, r in enumerate(rows)])
        db.execute("INSERT OR REPLACE INTO published (what, written) VALUES ('lockouts', ?)", (written,))


UNTIL = 1_900_000_000  # 2030-03-17T17:46:40Z
ROWS = [("address", "192.0.2.7", 12, UNTIL, 0), ("network", "192.0.2.0/24", 40, UNTIL - 60, 0),
        ("account", "Carol@example.test", 15, UNTIL - 120, 1), ("address", "2001:db8:1:2::/64", 11, UNTIL - 180, 0)]


def test_lockout_list_before_the_server_ever_ran(srv):
    assert ok(srv, "lockout", "list") == "no lockout listing: the server has not published one yet\n"
    assert json.loads(ok(srv, "lockout", "list", "--json")) == {"written": None, "lockouts": []}
    assert not (srv.data_dir / "state.db").exists(), "listing creates nothing"


def test_lockout_list_shows_what_the_server_published(srv):
    server_made_state(srv)
    written = int(time.time()) - 3
    publish(srv, ROWS, written)
    data = json.loads(ok(srv, "lockout", "list", "--json"))
    assert data["written"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(written))
    assert data["lockouts"][0] == {"scope": "address", "key": "192.0.2.7", "failures": 12,
                                   "until": "2030-03-17T17:46:40Z", "slowed_only": False}
    assert [(r["scope"], r["key"], r["slowed_only"]) for r in data["lockouts"]] == [
        ("address", "192.0.2.7", False), ("network", "192.0.2.0/24", False), ("account", "Carol@example.test", True),
        ("address", "2001:db8:1:2::/64", False)]

    lines = ok(srv, "lockout", "list").splitlines()
    assert re.fullmatch(r"listing published by the server at \S+Z \(\d+ s ago\)", lines[0]), lines[0]
    assert lines[1].split() == ["SCOPE", "KEY", "FAILURES", "UNTIL"]
    assert lines[2].split() == ["address", "192.0.2.7", "12", "2030-03-17T17:46:40Z"]
    assert lines[4].split() == ["account", "(slowed)", "Carol@example.test", "15", "2030-03-17T17:44:40Z"]
    assert len(lines) == 6

    publish(srv, [], written)
    assert ok(srv, "lockout", "list").splitlines()[1] == "no lockouts"


def test_lockout_clear_requests_removes_and_audits(srv):
    server_made_state(srv)
    publish(srv, ROWS, int(time.time()))
    out = ok(srv, "lockout", "clear", "192.0.2.7")
    assert out.splitlines() == [
        "clear of 192.0.2.7 requested: the running server forgets its failures within a few seconds",
        "removed from the listing: address 192.0.2.7 (12 failures)",
        "removed from the listing: network 192.0.2.0/24 (40 failures)",
    ]
    keys = [r["key"] for r in json.loads(ok(srv, "lockout", "list", "--json"))["lockouts"]]
    assert keys == ["Carol@example.test", "2001:db8:1:2::/64"]

    # An account by any case of its local part; a network; an IPv6 address inside a listed /64.
    assert "account (slowed) Carol@example.test" in ok(srv, "lockout", "clear", "CAROL@Example.TEST")
    assert "nothing in the published listing matched" in ok(srv, "lockout", "clear", "198.51.100.0/24")
    assert "address 2001:db8:1:2::/64" in ok(srv, "lockout", "clear", "2001:DB8:1:2::99")
    assert json.loads(ok(srv, "lockout", "list", "--json"))["lockouts"] == []

    with state_db(srv) as db:
        requests = db.execute("SELECT target, actor FROM clear_requests ORDER BY id").fetchall()
    assert [t for t, _ in requests] == ["192.0.2.7", "CAROL@example.test", "198.51.100.0/24", "2001:db8:1:2::99"]
    assert all(a.startswith(actor()) for _, a in requests)

    entries = [e for e in audit(srv) if e["action"] == "lockout.clear"]
    assert [(e["subject"], e["detail"]) for e in entries] == [
        ("2001:db8:1:2::99", "removed 1 listed"), ("198.51.100.0/24", "removed 0 listed"),
        ("CAROL@example.test", "removed 1 listed"), ("192.0.2.7", "removed 2 listed")]
    assert all(e["actor"].startswith(actor()) for e in entries)
    assert stat.S_IMODE((srv.data_dir / "state.db").stat().st_mode) == 0o600


@pytest.mark.parametrize("target", ["garbage", "192.0.2.1/24", "192.0.2.0/33", "300.1.2.3", "@example.test"])
def test_lockout_clear_refuses_what_it_does_not_understand(srv, target):
    err = refused(srv, "lockout", "clear", target, code=USAGE)
    assert "not an IP address, a network in CIDR notation or an account address" in err
    assert not (srv.data_dir / "state.db").exists()
    assert not any(e["action"] == "lockout.clear" for e in audit(srv))


def test_lockout_clear_on_a_fresh_install_queues_for_the_server(srv):
    ok(srv, "lockout", "clear", "192.0.2.9")
    with state_db(srv) as db:
        assert db.execute("SELECT target FROM clear_requests").fetchall() == [("192.0.2.9",)]
    # The server takes the request when it runs.
    srv.start()

    def taken():
        with state_db(srv) as db:
            return db.execute("SELECT count(*) FROM clear_requests").fetchone()[0] == 0
    wait_for(taken, what="the server to take the clear request")


# ---- stats --------------------------------------------------------------------------------------

def current_hour() -> int:
    # Not across an hour boundary between writing the rows and reading them.
    if time.time() % 3600 > 3590:
        time.sleep(12)
    return int(time.time()) // 3600


def record_usage(srv: h.Server, rows) -> None:
    with state_db(srv) as db:
        db.executemany("INSERT INTO usage (subject, hour, messages, recipients) VALUES (?, ?, ?, ?)", rows)


def counts(entry: dict) -> tuple:
    return tuple(entry[k][w] for k in ("messages", "recipients") for w in ("1h", "24h", "30d"))


def test_stats_before_anything_was_sent(srv):
    assert ok(srv, "stats") == "nothing sent in the last 30 days\n"
    assert json.loads(ok(srv, "stats", "--json")) == {"accounts": []}
    one = json.loads(ok(srv, "stats", ALICE, "--json"))["accounts"]
    assert [(a["account"], counts(a), a["credentials"]) for a in one] == [(ALICE, (0, 0, 0, 0, 0, 0), [])]


def test_stats_per_account_and_credential_over_three_windows(srv):
    server_made_state(srv)
    now = current_hour()
    record_usage(srv, [
        (f"a:{ALICE}", now, 2, 5), (f"a:{ALICE}", now - 5, 3, 3), (f"a:{ALICE}", now - 100, 10, 20),
        (f"a:{ALICE}", now - 720, 1000, 1000),  # 30 days and one hour ago: out of every window
        (f"c:{ALICE}/phone", now, 1, 4), (f"c:{ALICE}/phone", now - 23, 1, 1),
        (f"c:{ALICE}/password", now - 24, 7, 7),
        (f"a:{BOB}", now - 1, 1, 1),
        ("a:alice@example.testing", now, 99, 99),  # shares alice's subject as a prefix
        ("i:127.0.0.1", now, 50, 50),
    ])
    data = json.loads(ok(srv, "stats", "--json"))["accounts"]
    by = {a["account"]: a for a in data}
    assert list(by) == [ALICE, "alice@example.testing", BOB]
    assert counts(by[ALICE]) == (2, 5, 15, 5, 8, 28)
    assert [(c["credential"], counts(c)) for c in by[ALICE]["credentials"]] == [
        ("password", (0, 0, 7, 0, 0, 7)), ("phone", (1, 2, 2, 4, 5, 5))]
    assert counts(by[BOB]) == (0, 1, 1, 0, 1, 1)

    # One account: its own subject exactly, its credentials; named in any case.
    one = json.loads(ok(srv, "stats", "ALICE@example.test", "--json"))["accounts"]
    assert [a["account"] for a in one] == [ALICE]
    assert counts(one[0]) == (2, 5, 15, 5, 8, 28)
    assert len(one[0]["credentials"]) == 2

    lines = ok(srv, "stats", ALICE).splitlines()
    assert lines[0].split() == ["ACCOUNT/CREDENTIAL", "MSGS", "1H", "MSGS", "24H", "MSGS", "30D", "RCPTS", "1H", "RCPTS",
                                "24H", "RCPTS", "30D"]
    assert lines[1].split() == [ALICE, "2", "5", "15", "5", "8", "28"]
    assert lines[2].split() == ["password", "0", "0", "7", "0", "0", "7"]
    assert lines[3].split() == ["phone", "1", "2", "2", "4", "5", "5"]
    assert len(lines) == 4


def test_stats_errors(srv):
    assert "no account nobody@example.test" in refused(srv, "stats", "nobody@example.test", code=FAILURE)
    assert "not a local domain" in refused(srv, "stats", "x@elsewhere.example", code=USAGE)


def test_stats_count_what_the_running_server_sent(srv):
    srv.start()
    with SMTPConn(srv.port("submissions"), implicit_tls=True, cafile=srv.cafile) as c:
        expect(c.greeting(), 220)
        c.ehlo()
        expect(c.cmd(plain(ALICE, ALICE_PW)), 235)
        expect(c.cmd(f"MAIL FROM:<{ALICE}>"), 250)
        expect(c.cmd(f"RCPT TO:<{BOB}>"), 250)
        expect(c.cmd("RCPT TO:<someone@remote.example>"), 250)
        queued_id(c.data(make_message("counted", sender=ALICE, to=BOB)))

    def counted():
        accounts = json.loads(ok(srv, "stats", ALICE, "--json"))["accounts"]
        return accounts[0] if counts(accounts[0])[0] == 1 else None
    alice = wait_for(counted, what="the server to record the message")
    assert counts(alice) == (1, 1, 1, 2, 2, 2)
    assert [(c["credential"], counts(c)) for c in alice["credentials"]] == [("password", (1, 1, 1, 2, 2, 2))]
