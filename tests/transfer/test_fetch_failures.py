"""A page a curator asks for that cannot be fetched: the same plain sentence everywhere.

The title lookup (adding a resource) and the links-page import read one table
(``linkdir.reasons.FETCH_FAILURES``): a connection broken off by the server is said in
words in both, in Swedish and English, never as the failure's code.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from linkdir.checker import EngineConfig
from linkdir.i18n import translations
from linkdir.resources.lookup import LookupFailed, look_up
from linkdir.transfer import service
from linkdir.transfer.drafts import ParseFailed
from tests.conftest import make_settings


@pytest.fixture
def resetting_server() -> Iterator[str]:
    """Accepts each connection and breaks it off at once (a TCP reset)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.recv(1024)
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/lankar/"
    finally:
        stop.set()
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(timeout=5)


async def test_import_and_lookup_say_a_reset_in_the_same_words(resetting_server: str) -> None:
    settings = make_settings("sqlite+aiosqlite:///:memory:")
    with pytest.raises(ParseFailed) as imported:
        await service.fetch_links_page(resetting_server, settings)
    with pytest.raises(LookupFailed) as looked_up:
        await look_up(
            resetting_server,
            EngineConfig(timeout=5.0, allow_networks=("127.0.0.0/8",), retry_backoff=0.05),
        )

    assert looked_up.value.reason == "reset"
    english = imported.value.render(translations("en").gettext)
    assert english == "The server broke off the connection."
    assert looked_up.value.error.message == imported.value.message
    swedish = imported.value.render(translations("sv").gettext)
    assert swedish != english and "reset" not in swedish
