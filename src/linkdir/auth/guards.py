"""Who is asking: bearer tokens for API clients (browser sessions arrive with issue 3)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from linkdir.auth.models import Role, User
from linkdir.auth.service import user_for_token
from linkdir.resources.service import Actor
from linkdir.web import DbSession


async def provide_user(request: Request[Any, Any, Any], session: DbSession) -> User | None:
    """The user behind ``Authorization: Bearer``, None when anonymous.

    A header that is present but wrong is an error, not anonymity: a client that
    believes it is signed in must learn that it is not.
    """
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException(headers={"WWW-Authenticate": 'Bearer realm="linkdir"'})
    user = await user_for_token(session, token.strip())
    if user is None:
        raise NotAuthorizedException(headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    request.state.user = user
    return user


async def provide_editor(user: NamedDependency[User | None]) -> User:
    """A signed-in editor or admin; 401 otherwise."""
    if user is None:
        raise NotAuthorizedException(headers={"WWW-Authenticate": 'Bearer realm="linkdir"'})
    if user.role not in {Role.editor.value, Role.admin.value}:
        raise PermissionDeniedException()
    return user


# Handler parameter types: the signed-in user (or None), and one who may edit.
CurrentUser = NamedDependency[User | None]
Editor = NamedDependency[User]


def actor_of(user: User) -> Actor:
    return Actor(label=user.email, user_id=user.id)
