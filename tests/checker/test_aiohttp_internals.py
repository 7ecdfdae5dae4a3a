"""The three aiohttp internals checker/transport.py builds on (named in pyproject.toml).

An aiohttp upgrade that renames or reshapes one must fail here, loudly, rather than
quietly lose the per-host connection accounting.
"""

from __future__ import annotations

import inspect
from collections import deque

import aiohttp
from aiohttp.client_proto import ResponseHandler


def test_tcp_connector_create_connection_takes_request_traces_and_timeout():
    method = aiohttp.TCPConnector._create_connection
    assert inspect.iscoroutinefunction(method)
    assert list(inspect.signature(method).parameters) == ["self", "req", "traces", "timeout"]


async def test_tcp_connector_keeps_idle_connections_in_conns_as_deques_of_pairs():
    connector = aiohttp.TCPConnector()
    try:
        conns = connector._conns
        assert isinstance(conns, dict)
        assert isinstance(conns["any key"], deque)  # a defaultdict of deques
        # PoliteConnector._close_idle pops (protocol, since) pairs from those deques.
        assert "append((protocol, monotonic()))" in inspect.getsource(aiohttp.BaseConnector)
    finally:
        await connector.close()


def test_response_handler_exposes_a_closed_future():
    assert isinstance(inspect.getattr_static(ResponseHandler, "closed"), property)
