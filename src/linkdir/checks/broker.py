"""APScheduler 4.0.0a6's asyncpg event broker, its LISTEN callback made safe for anyio 4.10+.

The upstream callback starts a task from asyncpg's notification callback, which runs
outside any task, and anyio >= 4.10 refuses that (``NoEventLoopError``): workers then never
hear of jobs another worker added. Here the callback only hands the event to a memory
stream and a task of the broker's own publishes it. The rest is upstream's loop as it is in
4.0.0a6 (pinned in pyproject.toml); drop this module when a release fixes it.
"""

from __future__ import annotations

import math
from contextlib import AsyncExitStack, suppress
from logging import Logger
from typing import Any

from anyio import ClosedResourceError, EndOfStream, create_memory_object_stream, move_on_after
from anyio.abc import TaskStatus
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from apscheduler import Event, SerializationError
from apscheduler.eventbrokers.asyncpg import AsyncpgEventBroker
from asyncpg import Connection
from asyncpg.exceptions import InterfaceError


class ListeningAsyncpgEventBroker(AsyncpgEventBroker):
    """Publishes NOTIFY events to local subscribers from a task, not from a callback."""

    _received: MemoryObjectSendStream[Event]

    async def start(self, exit_stack: AsyncExitStack, logger: Logger) -> None:
        send, receive = create_memory_object_stream[Event](math.inf)
        self._received = send
        await super().start(exit_stack, logger)
        self._task_group.start_soon(self._deliver_received, receive)
        # Closed first on the way out, so the delivering task ends before the broker's task
        # group waits for it (entered before the task group, a clean stop hung forever).
        exit_stack.push_async_callback(send.aclose)

    async def publish(self, event: Event) -> None:
        """Publish to every worker; an event too big for NOTIFY (a job's long traceback,
        say) reaches this process's subscribers only, instead of failing the job's release.
        """
        try:
            await super().publish(event)
        except SerializationError:
            self._logger.warning("event %s too large for NOTIFY; published locally", event)
            await self.publish_local(event)

    async def _deliver_received(self, receive: MemoryObjectReceiveStream[Event]) -> None:
        async with receive:
            async for event in receive:
                await self.publish_local(event)

    async def _listen_notifications(
        self, receive: MemoryObjectReceiveStream[str], *, task_status: TaskStatus[None]
    ) -> None:
        conn: Connection

        def listen_callback(connection: Any, pid: int, channel: str, payload: str) -> None:
            event = self.reconstitute_event_str(payload)
            if event is not None:
                with suppress(ClosedResourceError):  # a notice during shutdown
                    self._received.send_nowait(event)

        async def unsubscribe() -> None:
            if not conn.is_closed():
                with move_on_after(3, shield=True):
                    await conn.remove_listener(self.channel, listen_callback)

        task_started_sent = False
        with receive:
            while True:
                async with AsyncExitStack() as exit_stack:
                    conn = await exit_stack.enter_async_context(self._connect())
                    try:
                        await conn.add_listener(self.channel, listen_callback)
                        exit_stack.push_async_callback(unsubscribe)
                        if not task_started_sent:
                            task_status.started()
                            task_started_sent = True
                        while True:
                            notification: str | None = None
                            with move_on_after(self.max_idle_time):
                                try:
                                    notification = await receive.receive()
                                except EndOfStream:
                                    return
                            if notification:
                                await conn.execute(
                                    "SELECT pg_notify($1, $2)", self.channel, notification
                                )
                            else:
                                await conn.execute("SELECT 1")
                    except InterfaceError as exc:
                        self._logger.error("Connection error: %s", exc)
