"""Starts and drives the real `postern` binary for the integration tests.

A `Server` owns one directory: config TOML, certificates, data dir, and the server's stdout and
stderr logs. Ports are free loopback ports picked at creation; they stay the same across
restarts so a test can kill and restart the server on the same addresses.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOSTNAME = "mx.example.test"
DOMAIN = "example.test"
TRUSTED = "127.0.0.2"  # the trusted_networks address tests connect from to relay

# Servers started and not yet stopped; a failing test gets their stderr in its report.
LIVE: list["Server"] = []


def postern_bin() -> str:
    path = os.environ.get("POSTERN_BIN") or str(REPO / "build" / "postern")
    if not os.access(path, os.X_OK):
        raise AssertionError(f"postern binary not found at {path} (set POSTERN_BIN or run make build)")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(directory: Path, name: str = "cert", cn: str = "localhost",
              sans: str = "DNS:localhost,IP:127.0.0.1") -> tuple[Path, Path]:
    """A self-signed P-256 certificate and key, written as NAME.pem and NAME-key.pem."""
    cert, key = directory / f"{name}.pem", directory / f"{name}-key.pem"
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-subj", f"/CN={cn}", "-addext", f"subjectAltName={sans}", "-days", "30",
         "-keyout", str(key), "-out", str(cert)])
    return cert, key


def run(args: list[str], input: bytes | None = None, timeout: float = 60, check: bool = True,
        **kw) -> subprocess.CompletedProcess:
    p = subprocess.run(args, input=input, capture_output=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {p.returncode}\nstdout: {p.stdout.decode(errors='replace')}"
                             f"\nstderr: {p.stderr.decode(errors='replace')}")
    return p


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return json.dumps(str(v))  # a JSON string is a valid TOML basic string for our values


class Server:
    """One postern instance. Call `start()`; `stop()` asserts a clean exit (code 0)."""

    def __init__(self, directory: Path, limits: dict | None = None, accounts: dict[str, str] | None = None,
                 certificates: list[tuple[Path, Path]] | None = None, listeners: list[str] | None = None,
                 smtp_trusted: list[str] | None = None, submission_trusted: list[str] | None = None,
                 extra_toml: str = ""):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config = self.dir / "postern.toml"
        self.data_dir = self.dir / "data"
        self.kinds = listeners or ["smtp", "submission", "submissions"]
        self.ports = {k: free_port() for k in self.kinds}
        self.limits = {"max_message_size": "1M"} | (limits or {})
        self.accounts = {"alice@example.test": "alice-secret-1", "bob@example.test": "bob-secret-2"} \
            if accounts is None else accounts
        if certificates is None:
            certificates = [make_cert(self.dir)]
        self.certificates = [(Path(c), Path(k)) for c, k in certificates]
        self.smtp_trusted = [f"{TRUSTED}/32"] if smtp_trusted is None else smtp_trusted
        self.submission_trusted = [f"{TRUSTED}/32"] if submission_trusted is None else submission_trusted
        self.extra_toml = extra_toml
        self.proc: subprocess.Popen | None = None
        self.stdout_path = self.dir / "server.stdout"
        self.stderr_path = self.dir / "server.stderr"
        self.starts = 0
        self.write_config()
        self.add_accounts()

    # -- set-up --------------------------------------------------------------------------------
    @property
    def cafile(self) -> str:
        return str(self.certificates[0][0])

    def write_config(self) -> None:
        out = [f'hostname = "{HOSTNAME}"', f'local_domains = ["{DOMAIN}"]', 'data_dir = "data"', "", "[limits]"]
        out += [f"{k} = {toml_value(v)}" for k, v in self.limits.items()]
        if "[metrics]" not in self.extra_toml:
            # The default endpoint (127.0.0.1:9580) would be shared by every server a test starts.
            out += ["", "[metrics]", 'listen = ""']
        for cert, key in self.certificates:
            # Paths inside the server's directory are written relative: they resolve against the config file.
            out += ["", "[[tls.certificate]]", f"cert = {toml_value(self._rel(cert))}", f"key = {toml_value(self._rel(key))}"]
        for kind in self.kinds:
            out += ["", "[[listener]]", f'kind = "{kind}"', f'address = "127.0.0.1:{self.ports[kind]}"']
            trusted = self.smtp_trusted if kind == "smtp" else self.submission_trusted
            if trusted:
                out.append(f"trusted_networks = {toml_value(trusted)}")
        out += ["", self.extra_toml]
        self.config.write_text("\n".join(out) + "\n")

    def _rel(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.dir.resolve()))
        except ValueError:
            return str(path)

    def add_accounts(self) -> None:
        # test_cli checks that `user add` works on a fresh config; here the directory is made so
        # that one missing mkdir does not fail every test.
        self.data_dir.mkdir(exist_ok=True)
        for address, password in self.accounts.items():
            self.cli("user", "add", address, "--password-stdin", input=(password + "\n").encode())

    def cli(self, *args: str, input: bytes | None = None, check: bool = True, timeout: float = 60):
        """`postern ARGS --config CFG`."""
        return run([postern_bin(), *args, "--config", str(self.config)], input=input, check=check, timeout=timeout)

    # -- life cycle ----------------------------------------------------------------------------
    def start(self, timeout: float = 20.0) -> "Server":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.starts += 1
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            for f in (out, err):
                f.write(f"\n----- start #{self.starts} -----\n".encode())
                f.flush()
            self.proc = subprocess.Popen([postern_bin(), "serve", "--config", str(self.config)],
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=self.dir)
        LIVE.append(self)
        deadline = time.monotonic() + timeout
        pending = dict(self.ports)
        while pending:
            if self.proc.poll() is not None:
                raise AssertionError(f"postern exited with {self.proc.returncode} during start-up\n{self.stderr()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"postern did not accept on {pending} within {timeout}s\n{self.stderr()}")
            for kind, port in list(pending.items()):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    del pending[kind]
                except OSError:
                    pass
            if pending:
                time.sleep(0.05)
        return self

    def signal(self, sig: int) -> None:
        assert self.proc is not None and self.proc.poll() is None, f"postern is not running\n{self.stderr()}"
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, wait, and assert exit code 0."""
        if self.proc is None:
            return 0
        proc, self.proc = self.proc, None
        if self in LIVE:
            LIVE.remove(self)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise AssertionError(f"postern did not exit within {timeout}s of SIGTERM\n{self.stderr()}")
        else:
            raise AssertionError(f"postern had already exited with {proc.returncode} before SIGTERM\n{self.stderr()}")
        assert proc.returncode == 0, f"postern exited with {proc.returncode} after SIGTERM\n{self.stderr()}"
        return proc.returncode

    def kill9(self) -> None:
        proc, self.proc = self.proc, None
        if self in LIVE:
            LIVE.remove(self)
        assert proc is not None and proc.poll() is None, f"postern was not running\n{self.stderr()}"
        proc.kill()
        proc.wait(10)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stderr(self, tail: int = 120) -> str:
        try:
            lines = self.stderr_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return "(no stderr)"
        return "----- postern stderr (last %d lines) -----\n%s" % (tail, "\n".join(lines[-tail:]))

    # -- queue ---------------------------------------------------------------------------------
    def queue(self) -> list[dict]:
        p = self.cli("queue", "list", "--json")
        try:
            records = json.loads(p.stdout)
        except json.JSONDecodeError as e:
            raise AssertionError(f"queue list --json printed no JSON ({e}): {p.stdout[:500]!r}")
        assert isinstance(records, list), f"queue list --json is not an array: {records!r}"
        return records

    def queue_by_id(self) -> dict[str, dict]:
        return {r["id"]: r for r in self.queue()}

    def show(self, queue_id: str) -> str:
        return self.cli("queue", "show", queue_id).stdout.decode("utf-8", "replace")

    def port(self, kind: str) -> int:
        return self.ports[kind]


def copy_certs(src: list[tuple[Path, Path]], directory: Path) -> list[tuple[Path, Path]]:
    out = []
    for cert, key in src:
        c, k = directory / cert.name, directory / key.name
        shutil.copy(cert, c)
        shutil.copy(key, k)
        out.append((c, k))
    return out
