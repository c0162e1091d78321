"""Real mail clients (swaks, msmtp, curl, Python smtplib) against the real server."""

import smtplib
import uuid

import postern_harness as h
from postern_harness import TRUSTED
from smtp_raw import client_context, make_message


def token() -> str:
    return uuid.uuid4().hex[:12]


def find(srv, t: str) -> dict:
    """The single queued record whose Message-ID carries token t."""
    recs = [r for r in srv.queue() if t in (r.get("message_id") or "")]
    assert len(recs) == 1, f"expected exactly one queued message with Message-ID token {t}, found {recs}"
    return recs[0]


def test_swaks_plain_smtp(server):
    t = token()
    h.run(["swaks", "--server", f"127.0.0.1:{server.port('smtp')}", "--helo", "swaks.example.net",
           "--from", "sender@remote.example", "--to", "alice@example.test",
           "--header", f"Message-Id: <{t}@swaks.example.net>", "--header", f"Subject: swaks {t}",
           "--body", "sent by swaks"], timeout=30)
    rec = find(server, t)
    assert rec["recipients"] == ["alice@example.test"] and rec["helo"] == "swaks.example.net", rec
    assert "sent by swaks" in server.show(rec["id"])


def test_swaks_starttls_submission_from_trusted(server):
    t = token()
    p = h.run(["swaks", "--server", f"127.0.0.1:{server.port('submission')}", "--local-interface", TRUSTED,
               "--tls", "--helo", "swaks.example.net", "--from", "alice@example.test",
               "--to", "friend@remote.example", "--header", f"Message-Id: <{t}@swaks.example.net>",
               "--body", "relayed by swaks over STARTTLS"], timeout=30)
    assert b"TLS started" in p.stdout + p.stderr, p.stdout.decode(errors="replace")
    rec = find(server, t)
    assert rec["tls"] and rec["client"]["address"] == TRUSTED, rec


def test_swaks_refused_relay_reports_failure(server):
    p = h.run(["swaks", "--server", f"127.0.0.1:{server.port('smtp')}", "--helo", "swaks.example.net",
               "--from", "sender@remote.example", "--to", "victim@elsewhere.example", "--quit-after", "RCPT"],
              timeout=30, check=False)
    out = (p.stdout + p.stderr).decode(errors="replace")
    assert p.returncode != 0 and "554 5.7.1" in out, out


def test_swaks_implicit_tls(server):
    t = token()
    h.run(["swaks", "--server", f"127.0.0.1:{server.port('submissions')}", "--local-interface", TRUSTED,
           "--tls-on-connect", "--helo", "swaks.example.net", "--from", "alice@example.test",
           "--to", "bob@example.test", "--header", f"Message-Id: <{t}@swaks.example.net>"], timeout=30)
    assert find(server, t)["tls"]


def test_msmtp_plain_smtp(server, tmp_path):
    t = token()
    msg = make_message(t, sender="sender@remote.example")
    h.run(["msmtp", "--host=127.0.0.1", f"--port={server.port('smtp')}", "--auth=off", "--tls=off",
           "--domain=msmtp.example.net", "--from=sender@remote.example", "alice@example.test"],
          input=msg.replace(b"\r\n", b"\n"), timeout=30)
    rec = find(server, t)
    assert rec["sender"] == "sender@remote.example" and rec["helo"] == "msmtp.example.net", rec


def test_msmtp_starttls_verified(server):
    t = token()
    msg = make_message(t, sender="alice@example.test", to="friend@remote.example")
    h.run(["msmtp", "--host=127.0.0.1", f"--port={server.port('submission')}", f"--source-ip={TRUSTED}",
           "--auth=off", "--tls=on", "--tls-starttls=on", f"--tls-trust-file={server.cafile}",
           "--tls-host-override=localhost", "--from=alice@example.test", "friend@remote.example"],
          input=msg.replace(b"\r\n", b"\n"), timeout=30)
    assert find(server, t)["tls"]


def test_curl_smtp(server, tmp_path):
    t = token()
    f = tmp_path / "msg.eml"
    f.write_bytes(make_message(t))
    h.run(["curl", "-sS", "--fail", f"smtp://127.0.0.1:{server.port('smtp')}/curl.example.net",
           "--mail-from", "sender@remote.example", "--mail-rcpt", "bob@example.test", "--upload-file", str(f)],
          timeout=30)
    rec = find(server, t)
    assert rec["recipients"] == ["bob@example.test"], rec


def test_curl_smtp_starttls_required(server, tmp_path):
    t = token()
    f = tmp_path / "msg.eml"
    f.write_bytes(make_message(t, sender="alice@example.test"))
    h.run(["curl", "-sS", "--fail", "--ssl-reqd", "--cacert", server.cafile, "--interface", TRUSTED,
           f"smtp://127.0.0.1:{server.port('submission')}/curl.example.net",
           "--mail-from", "alice@example.test", "--mail-rcpt", "friend@remote.example", "--upload-file", str(f)],
          timeout=30)
    assert find(server, t)["tls"]


def test_smtplib_starttls_submission(server):
    t = token()
    with smtplib.SMTP("127.0.0.1", server.port("submission"), source_address=(TRUSTED, 0), timeout=10) as s:
        s.ehlo("py.example.net")
        assert s.has_extn("starttls")
        # Verified against the test CA; the name checked is 127.0.0.1 (an IP SAN in the certificate).
        s.starttls(context=client_context(server.cafile))
        s.ehlo("py.example.net")
        assert not s.has_extn("starttls")
        s.sendmail("alice@example.test", ["friend@remote.example"], make_message(t, sender="alice@example.test"))
    assert find(server, t)["tls"]
