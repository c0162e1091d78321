"""Fixtures and helpers for the SMTP AUTH integration tests: a server with CRAM-MD5 and [oauth]
(trusting keys the tests make themselves), accounts with app passwords, and JWT minting with the
openssl command line (EdDSA and RS256)."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import postern_harness as h

ISSUER = "postern-test-issuer"
AUDIENCE = "postern-test"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenKeys:
    """An Ed25519 and an RSA key pair, their public halves trusted by the server's [oauth]."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.ed_key, self.ed_pub = directory / "ed25519.pem", directory / "ed25519.pub.pem"
        self.rsa_key, self.rsa_pub = directory / "rsa.pem", directory / "rsa.pub.pem"
        self.other_key = directory / "untrusted.pem"
        h.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(self.ed_key)])
        h.run(["openssl", "pkey", "-in", str(self.ed_key), "-pubout", "-out", str(self.ed_pub)])
        h.run(["openssl", "genpkey", "-algorithm", "rsa", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(self.rsa_key)])
        h.run(["openssl", "pkey", "-in", str(self.rsa_key), "-pubout", "-out", str(self.rsa_pub)])
        h.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(self.other_key)])

    def mint(self, email: str, alg: str = "EdDSA", ttl: int = 600, aud: str = AUDIENCE, iss: str = ISSUER,
             now: int | None = None, key: Path | None = None) -> str:
        now = int(time.time()) if now is None else now
        header = {"alg": alg, "typ": "JWT"}
        claims = {"iss": iss, "aud": aud, "sub": email, "email": email, "iat": now, "nbf": now, "exp": now + ttl}
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}".encode()
        if alg == "EdDSA":
            # pkeyutl signs Ed25519 in one shot and needs the size of its input: a file, not a pipe.
            with tempfile.NamedTemporaryFile() as f:
                f.write(signing_input)
                f.flush()
                sig = h.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", str(key or self.ed_key), "-in", f.name]).stdout
        else:
            sig = h.run(["openssl", "dgst", "-sha256", "-sign", str(key or self.rsa_key)], input=signing_input).stdout
        return signing_input.decode() + "." + b64url(sig)

    def toml(self) -> str:
        return (f'[oauth]\nissuer = "{ISSUER}"\naudience = "{AUDIENCE}"\n'
                f'public_keys = ["{self.ed_pub}", "{self.rsa_pub}"]\naccount_claim = "email"\nleeway = "5s"\n')


AUTH_TOML = "[auth]\ncram_md5 = true\n"


class AuthServer:
    """A running server plus what the tests need to log in to it."""

    def __init__(self, srv: h.Server, keys: TokenKeys):
        self.srv = srv
        self.keys = keys
        self.app_passwords: dict[str, str] = {}

    def add_app_password(self, address: str, name: str) -> str:
        out = self.srv.cli("credential", "add", address, "--name", name, "--json").stdout
        record = json.loads(out.decode().strip().splitlines()[-1])
        self.app_passwords[f"{address}/{name}"] = record["password"]
        return record["password"]

    def port(self, kind: str) -> int:
        return self.srv.port(kind)


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    """alice (CRAM-MD5 enabled) and bob; alice has an app password "phone"; [oauth] trusts the
    test's keys; no trusted networks, so every relay needs AUTH."""
    base = tmp_path_factory.mktemp("postern-auth")
    keys = TokenKeys(base / "keys")
    srv = h.Server(base / "srv", accounts={}, smtp_trusted=[], submission_trusted=[],
                   extra_toml=AUTH_TOML + "\n" + keys.toml())
    # alice with a CRAM-MD5 secret (it needs the clear password once, at `user add`), bob without.
    srv.cli("user", "add", "alice@example.test", "--password-stdin", "--cram-md5", input=b"alice-secret-1\n")
    srv.cli("user", "add", "bob@example.test", "--password-stdin", input=b"bob-secret-2\n")
    a = AuthServer(srv, keys)
    a.add_app_password("alice@example.test", "phone")
    srv.start()
    yield a
    srv.stop()


def queued_ids(text: str) -> list[str]:
    return re.findall(r"queued as (\S+)", text)


def swaks(port: int, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(["swaks", "--server", f"127.0.0.1:{port}", "--from", "alice@example.test",
                           "--to", "friend@remote.example", "--helo", "client.example", *args],
                          capture_output=True, timeout=timeout)
