"""Account tests use the loopback SMTP server of the mail tests."""

from tests.mail.conftest import factory, inbox, mail_settings, silent_smtp, smtp  # noqa: F401
