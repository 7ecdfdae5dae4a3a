"""The loopback web sites of tests/checks, for metrics and log tests that run real checks."""

from tests.checks.conftest import certs, server_loop, web

__all__ = ["certs", "server_loop", "web"]
