"""The mails of account links: an invitation and a password reset."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from linkdir import i18n
from linkdir.config import Settings
from linkdir.mail.outbox import Composed, enqueue


def _compose(
    settings: Settings,
    lang: str,
    recipient: str,
    *,
    subject: str,
    paragraphs: list[str],
    action: str,
    link: str,
    note: str,
) -> Composed:
    from linkdir.web import environment

    context = {
        "settings": settings,
        "locale": lang,
        "subject": subject,
        "paragraphs": paragraphs,
        "action": action,
        "link": link,
        "note": note,
    }
    env = environment()
    return Composed(
        recipient=recipient,
        subject=subject,
        text=env.get_template("mail/link.txt").render(**context),
        html=env.get_template("mail/link.html").render(**context),
        headers=(("Content-Language", lang),),
    )


def invitation_link(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/invite?token={token}"


def reset_link(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/password/reset?token={token}"


def setup_link(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/setup?token={token}"


async def send_invitation(
    session: AsyncSession, settings: Settings, lang: str, email: str, token: str, *, by: str
) -> None:
    """Queue the invitation mail (sent by the mail job)."""
    with i18n.in_locale(lang):
        _ = i18n.gettext
        site = settings.site_name
        mail = _compose(
            settings,
            lang,
            email,
            subject=_("You are invited to curate %(site)s") % {"site": site},
            paragraphs=[
                _("%(who)s invites you to look after the links in %(site)s.")
                % {"who": by, "site": site},
                _(
                    "Choose your password with the link below; "
                    "then you can sign in with this address."
                ),
            ],
            action=_("Choose a password"),
            link=invitation_link(settings, token),
            note=_(
                "The link works once, for 72 hours. If you did not expect this, ignore the mail."
            ),
        )
    await enqueue(session, settings, "invitation", mail)


async def send_reset(
    session: AsyncSession, settings: Settings, lang: str, email: str, token: str
) -> None:
    """Queue the password-reset mail (sent by the mail job)."""
    with i18n.in_locale(lang):
        _ = i18n.gettext
        mail = _compose(
            settings,
            lang,
            email,
            subject=_("A new password for %(site)s") % {"site": settings.site_name},
            paragraphs=[
                _(
                    "Someone asked for a new password for your account. If it was you, choose one "
                    "with the link below."
                ),
            ],
            action=_("Choose a new password"),
            link=reset_link(settings, token),
            note=_(
                "The link works once, for an hour. If you did not ask, ignore the mail: your "
                "password stays as it is."
            ),
        )
    await enqueue(session, settings, "reset", mail)
