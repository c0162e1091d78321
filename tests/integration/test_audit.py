"""`postern audit`: the trail of administrative changes made with `postern user` / `credential`."""

import datetime
import json
import os
import pwd

import postern_harness as h
from test_cli import GOOD, write

PASSWORD = "Audit-Secret-Pa55word"


def postern(cfg, *args, input=None, check=True):
    return h.run([h.postern_bin(), *args, "--config", str(cfg)], input=input, check=check)


def audit(cfg, *args):
    p = postern(cfg, "audit", *args)
    return p.stdout.decode()


def setup_account(tmp_path):
    """user add, credential add, credential revoke; returns the config and the app password."""
    cfg = write(tmp_path, GOOD)
    postern(cfg, "user", "add", "frank@example.test", "--password-stdin", input=(PASSWORD + "\n").encode())
    p = postern(cfg, "credential", "add", "frank@example.test", "--name", "phone", "--json")
    app_password = json.loads(p.stdout)["password"]
    postern(cfg, "credential", "revoke", "frank@example.test", "phone")
    return cfg, app_password


def test_audit_json_lists_changes_newest_first(tmp_path):
    cfg, app_password = setup_account(tmp_path)
    out = audit(cfg, "--json")
    entries = json.loads(out)
    assert [e["action"] for e in entries] == ["credential.revoke", "credential.add", "account.add"]
    assert all(e["subject"] == "frank@example.test" for e in entries)
    assert entries[0]["detail"] == "phone"
    assert set(entries[0]) == {"time", "actor", "action", "subject", "detail"}

    # Who: the uid and login name of whoever ran the command.
    uid = os.getuid()
    assert all(e["actor"].startswith(f"cli uid={uid}({pwd.getpwuid(uid).pw_name})") for e in entries)

    # When: RFC 3339 in UTC, and just now.
    now = datetime.datetime.now(datetime.timezone.utc)
    for e in entries:
        t = datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
        assert abs((now - t).total_seconds()) < 300

    # No secret, neither the account password nor the app password.
    assert PASSWORD not in out
    assert app_password not in out
    assert app_password not in audit(cfg)


def test_audit_text_limit_and_account(tmp_path):
    cfg, _ = setup_account(tmp_path)
    postern(cfg, "user", "add", "gina@example.test", "--password-stdin", input=b"another-Pa55word\n")

    lines = audit(cfg).splitlines()
    assert len(lines) == 4
    first = lines[0].split(" ")
    assert first[0].endswith("Z") and "T" in first[0]
    assert lines[0].endswith(" account.add gina@example.test")
    assert lines[1].endswith(" credential.revoke frank@example.test phone")

    assert [e["action"] for e in json.loads(audit(cfg, "--json", "--limit", "2"))] == [
        "account.add", "credential.revoke"]

    frank = json.loads(audit(cfg, "--json", "--account", "frank@example.test"))
    assert [e["action"] for e in frank] == ["credential.revoke", "credential.add", "account.add"]
    gina = json.loads(audit(cfg, "--json", "--account", "gina@example.test"))
    assert [(e["action"], e["subject"]) for e in gina] == [("account.add", "gina@example.test")]


def test_audit_refuses_bad_arguments(tmp_path):
    cfg = write(tmp_path, GOOD)
    p = postern(cfg, "audit", "--limit", "0", check=False)
    assert p.returncode == 2
    p = postern(cfg, "audit", "--account", "no-at-sign", check=False)
    assert p.returncode == 2
    assert b"no-at-sign" in p.stderr
