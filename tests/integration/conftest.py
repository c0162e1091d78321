"""Fixtures that run the real postern binary (POSTERN_BIN, default build/postern)."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import postern_harness as h  # noqa: E402

_counter = itertools.count()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test's report carries the stderr of every server still running."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for srv in list(h.LIVE):
            report.sections.append((f"postern stderr ({srv.dir.name})", srv.stderr()))


def _stop_all(servers: list[h.Server]) -> None:
    errors = []
    for srv in servers:
        try:
            srv.stop()
        except AssertionError as e:
            errors.append(str(e))
    assert not errors, "\n\n".join(errors)


@pytest.fixture
def make_server(tmp_path):
    """Factory: make_server(limits=..., ..., start=True) -> a running Server; all are stopped
    with SIGTERM at teardown and must exit 0."""
    servers: list[h.Server] = []

    def factory(start: bool = True, **kw) -> h.Server:
        srv = h.Server(tmp_path / f"postern{next(_counter)}", **kw)
        servers.append(srv)
        return srv.start() if start else srv

    yield factory
    _stop_all(servers)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server shared by the tests of one module (default limits, alice and bob, 127.0.0.2 trusted)."""
    srv = h.Server(tmp_path_factory.mktemp("postern"))
    srv.start()
    yield srv
    _stop_all([srv])
