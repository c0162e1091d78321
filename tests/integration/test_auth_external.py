"""SASL EXTERNAL (RFC 4422 App. A, RFC 4954) with TLS client certificates against the real binary:
a CA and client certificates made here with the openssl command line, listeners that ask for a
certificate (`request_client_certificate = true`, `[auth] client_ca`), Python smtplib, gsasl,
msmtp and curl as clients, and what reaches the queue."""

from __future__ import annotations

import base64
import re
import smtplib
import ssl
import subprocess
import uuid
from pathlib import Path

import pytest

import postern_harness as h
from smtp_raw import client_context, make_message

ALICE = "alice@example.test"
REMOTE = "friend@remote.example"


class CertificateAuthority:
    """A CA (P-256) that signs client certificates for one email address each."""

    def __init__(self, directory: Path, name: str):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.cert, self.key = self.dir / f"{name}.pem", self.dir / f"{name}-key.pem"
        h.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
               "-subj", f"/CN={name}", "-addext", "basicConstraints=critical,CA:TRUE",
               "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-days", "30",
               "-keyout", str(self.key), "-out", str(self.cert)])

    def issue(self, name: str, san: str | None, subject: str = "") -> tuple[Path, Path]:
        """A client certificate and key; `san` e.g. "email:alice@example.test" (None: no SAN)."""
        cert, key, csr = self.dir / f"{name}.pem", self.dir / f"{name}-key.pem", self.dir / f"{name}.csr"
        ext = self.dir / f"{name}.ext"
        lines = ["basicConstraints = CA:FALSE", "keyUsage = critical, digitalSignature", "extendedKeyUsage = clientAuth"]
        if san:
            lines.append(f"subjectAltName = {san}")
        ext.write_text("\n".join(lines) + "\n")
        h.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
               "-subj", subject or f"/CN={name}", "-keyout", str(key), "-out", str(csr)])
        h.run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(self.cert), "-CAkey", str(self.key),
               "-CAcreateserial", "-days", "30", "-extfile", str(ext), "-out", str(cert)])
        return cert, key


class CertServer(h.Server):
    """The harness's server with `request_client_certificate = true` on both TLS listeners."""

    def write_config(self) -> None:
        super().write_config()
        text = self.config.read_text()
        for kind in ("submission", "submissions"):
            text = text.replace(f'kind = "{kind}"\n', f'kind = "{kind}"\nrequest_client_certificate = true\n')
        self.config.write_text(text)


class Env:
    def __init__(self, srv: h.Server, certs: dict[str, tuple[Path, Path]]):
        self.srv = srv
        self.certs = certs


@pytest.fixture(scope="module")
def ext(tmp_path_factory):
    """alice and bob (the harness's accounts); client certificates for alice (SAN email), alice
    via the subject's emailAddress only, an unknown address, and alice from a CA the server does
    not trust. No trusted networks: relaying needs AUTH."""
    base = tmp_path_factory.mktemp("postern-external")
    ca = CertificateAuthority(base / "ca", "Postern Test Client CA")
    other = CertificateAuthority(base / "other-ca", "Some Other CA")
    certs = {
        "alice": ca.issue("alice", f"email:{ALICE}"),
        "alice-subject": ca.issue("alice-subject", None, subject=f"/CN=Alice/emailAddress={ALICE}"),
        "unknown": ca.issue("unknown", "email:nobody@example.test"),
        "foreign": other.issue("foreign-alice", f"email:{ALICE}"),
    }
    srv = CertServer(base / "srv", smtp_trusted=[], submission_trusted=[],
                     extra_toml=f'[auth]\nclient_ca = "{ca.cert}"\n')
    srv.start()
    yield Env(srv, certs)
    srv.stop()


def token() -> str:
    return uuid.uuid4().hex[:12]


def context(env: Env, cert: str | None) -> ssl.SSLContext:
    ctx = client_context(env.srv.cafile)
    if cert:
        ctx.load_cert_chain(*map(str, env.certs[cert]))
    return ctx


def starttls(env: Env, cert: str | None) -> smtplib.SMTP:
    s = smtplib.SMTP("127.0.0.1", env.srv.port("submission"), local_hostname="client.example", timeout=30)
    s.ehlo()
    s.starttls(context=context(env, cert))
    s.ehlo()
    return s


def offered(s: smtplib.SMTP) -> list[str]:
    return s.esmtp_features.get("auth", "").split()


def record_for(srv: h.Server, t: str) -> dict:
    recs = [r for r in srv.queue() if t in (r.get("message_id") or "")]
    assert len(recs) == 1, f"expected one queued message with token {t}: {recs}"
    return recs[0]


def server_log(srv: h.Server) -> str:
    return srv.stderr_path.read_text(errors="replace")


# -- Python smtplib ---------------------------------------------------------------------------

def test_smtplib_external_relays_with_the_certificate_identity(ext):
    with starttls(ext, "alice") as s:
        assert offered(s)[0] == "EXTERNAL", s.esmtp_features
        code, msg = s.docmd("AUTH", "EXTERNAL =")
        assert (code, msg) == (235, b"2.7.0 Authentication successful")
        t = token()
        refused = s.sendmail(ALICE, [REMOTE], make_message(t, sender=ALICE, to=REMOTE))
        assert refused == {}
    rec = record_for(ext.srv, t)
    assert rec["auth"] == {"account": ALICE, "credential": "certificate", "mechanism": "EXTERNAL"}, rec
    assert re.search(rf"auth ok .*mechanism=EXTERNAL account={re.escape(ALICE)} credential=certificate "
                     r"certificate=[0-9a-f]{64}", server_log(ext.srv))


def test_smtplib_implicit_tls_and_an_authzid(ext):
    ctx = context(ext, "alice")
    with smtplib.SMTP_SSL("127.0.0.1", ext.srv.port("submissions"), local_hostname="client.example", context=ctx,
                          timeout=30) as s:
        s.ehlo()
        assert "EXTERNAL" in offered(s)
        # RFC 4422 App. A: a non-empty message is the authzid; naming oneself is allowed.
        code, _ = s.docmd("AUTH", "EXTERNAL " + base64.b64encode(ALICE.encode()).decode())
        assert code == 235


def test_subject_email_address_when_there_is_no_san(ext):
    with starttls(ext, "alice-subject") as s:
        assert "EXTERNAL" in offered(s)
        assert s.docmd("AUTH", "EXTERNAL =")[0] == 235


def test_without_a_certificate_external_is_not_offered(ext):
    with starttls(ext, None) as s:
        assert offered(s), "the other mechanisms are still offered"
        assert "EXTERNAL" not in offered(s)
        code, msg = s.docmd("AUTH", "EXTERNAL =")
        assert code == 504 and msg.startswith(b"5.5.4"), (code, msg)
        # Nothing happened: a password still works afterwards.
        s.login(ALICE, "alice-secret-1")


def test_certificate_from_another_ca_connects_but_gets_no_external(ext):
    with starttls(ext, "foreign") as s:  # the handshake succeeds: the certificate is optional
        assert "EXTERNAL" not in offered(s)
        code, msg = s.docmd("AUTH", "EXTERNAL =")
        assert code == 504, (code, msg)


def test_certificate_for_an_unknown_address_is_535(ext):
    with starttls(ext, "unknown") as s:
        assert "EXTERNAL" in offered(s), "it verified: whether it maps to an account is the store's answer"
        code, msg = s.docmd("AUTH", "EXTERNAL =")
        assert (code, msg) == (535, b"5.7.8 Authentication credentials invalid")
    assert re.search(r"auth failed .*mechanism=EXTERNAL reply=535 5\.7\.8 reason=certificate address is no account",
                     server_log(ext.srv))


def test_another_authzid_is_535(ext):
    with starttls(ext, "alice") as s:
        code, _ = s.docmd("AUTH", "EXTERNAL " + base64.b64encode(b"bob@example.test").decode())
        assert code == 535
        with pytest.raises(smtplib.SMTPSenderRefused):
            s.sendmail(ALICE, [REMOTE], b"Subject: x\r\n\r\nx\r\n")


def test_not_offered_on_a_listener_that_does_not_ask(ext):
    # Port 25 does not ask for certificates here: even with one in hand, EXTERNAL is not there.
    s = smtplib.SMTP("127.0.0.1", ext.srv.port("smtp"), local_hostname="client.example", timeout=30)
    try:
        s.ehlo()
        s.starttls(context=context(ext, "alice"))
        s.ehlo()
        assert "EXTERNAL" not in offered(s)
    finally:
        s.close()


# -- independent clients ------------------------------------------------------------------------

def test_gsasl_external(ext):
    cert, key = ext.certs["alice"]
    p = subprocess.run(["gsasl", "--smtp", "--connect", f"127.0.0.1:{ext.srv.port('submission')}", "--starttls",
                        f"--x509-ca-file={ext.srv.cafile}", f"--x509-cert-file={cert}", f"--x509-key-file={key}",
                        "-m", "EXTERNAL", "--verbose"], capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0, f"gsasl failed ({p.returncode}):\n{out}\n{p.stderr.decode()}"
    assert "AUTH EXTERNAL" in out and "235 2.7.0" in out, out


def test_curl_external_with_initial_response(ext, tmp_path):
    cert, key = ext.certs["alice"]
    t = token()
    msg = tmp_path / "msg.eml"
    msg.write_bytes(make_message(t, sender=ALICE, to=REMOTE))
    p = h.run(["curl", "-sS", "-v", "--ssl-reqd", "--cacert", ext.srv.cafile, "--cert", str(cert), "--key", str(key),
               "--sasl-ir", f"smtp://;AUTH=EXTERNAL@127.0.0.1:{ext.srv.port('submission')}",
               "--mail-from", ALICE, "--mail-rcpt", REMOTE, "-T", str(msg)], check=False)
    err = p.stderr.decode(errors="replace")
    assert p.returncode == 0, err
    assert "AUTH EXTERNAL =" in err, err
    assert record_for(ext.srv, t)["auth"]["mechanism"] == "EXTERNAL"


def test_curl_external_after_a_challenge(ext, tmp_path):
    # Without --sasl-ir curl waits for the 334 and answers "=" for "empty" (see docs/credentials.md).
    cert, key = ext.certs["alice"]
    t = token()
    msg = tmp_path / "msg.eml"
    msg.write_bytes(make_message(t, sender=ALICE, to=REMOTE))
    p = h.run(["curl", "-sS", "-v", "--ssl-reqd", "--cacert", ext.srv.cafile, "--cert", str(cert), "--key", str(key),
               f"smtp://;AUTH=EXTERNAL@127.0.0.1:{ext.srv.port('submission')}",
               "--mail-from", ALICE, "--mail-rcpt", REMOTE, "-T", str(msg)], check=False)
    err = p.stderr.decode(errors="replace")
    assert p.returncode == 0, err
    assert record_for(ext.srv, t)["auth"]["credential"] == "certificate"


def test_msmtp_external(ext, tmp_path):
    cert, key = ext.certs["alice"]
    t = token()
    p = subprocess.run(["msmtp", "--host=127.0.0.1", f"--port={ext.srv.port('submission')}", "--tls=on",
                        "--tls-starttls=on", f"--tls-trust-file={ext.srv.cafile}", f"--tls-cert-file={cert}",
                        f"--tls-key-file={key}", "--auth=external", f"--user={ALICE}", f"--from={ALICE}",
                        "--domain=client.example", "--debug", REMOTE],
                       input=make_message(t, sender=ALICE, to=REMOTE), capture_output=True, timeout=30)
    out = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
    assert p.returncode == 0, out
    assert "AUTH EXTERNAL" in out, out
    assert record_for(ext.srv, t)["auth"] == {"account": ALICE, "credential": "certificate", "mechanism": "EXTERNAL"}
