"""Sending one message over SMTP (aiosmtplib), configured by ``LINKDIR_SMTP_URL``."""

from __future__ import annotations

import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import Parser
from urllib.parse import unquote, urlsplit

import aiosmtplib

from linkdir.config import Settings


class MailNotConfigured(RuntimeError):
    """``LINKDIR_SMTP_URL`` is empty: there is no server to send to."""


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to deliver, parsed from the URL (the password never in logs)."""

    host: str
    port: int
    use_tls: bool
    start_tls: bool
    username: str | None
    password: str | None

    def __repr__(self) -> str:
        return f"SmtpServer({self.host}:{self.port}, tls={self.use_tls}, starttls={self.start_tls})"


def smtp_server(settings: Settings) -> SmtpServer:
    """The server ``LINKDIR_SMTP_URL`` names (MailNotConfigured when it is empty)."""
    if not settings.smtp_url:
        raise MailNotConfigured("LINKDIR_SMTP_URL is empty")
    parts = urlsplit(settings.smtp_url)
    scheme = parts.scheme
    default_port = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}[scheme]
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    if username and not password:
        password = settings.smtp_password() or None
    return SmtpServer(
        host=parts.hostname or "localhost",
        port=parts.port or default_port,
        use_tls=scheme == "smtps",
        start_tls=scheme == "smtp+starttls",
        username=username,
        password=password,
    )


def parse_message(raw: str) -> EmailMessage:
    """A stored message back as an EmailMessage."""
    message = Parser(policy=email.policy.SMTP).parsestr(raw)
    assert isinstance(message, EmailMessage)
    return message


async def send_message(settings: Settings, message: EmailMessage) -> None:
    """Deliver ``message``; raises on refusal, a broken connection or a timeout."""
    server = smtp_server(settings)
    await aiosmtplib.send(
        message,
        hostname=server.host,
        port=server.port,
        use_tls=server.use_tls,
        start_tls=server.start_tls if server.start_tls else False,
        username=server.username,
        password=server.password,
        timeout=settings.smtp_timeout,
    )
