"""The pure link-checker engine: URL in, :class:`CheckResult` out (DESIGN §3-4).

No database, no globals, no environment. Monitoring (claims, state, history) lives in
:mod:`linkdir.checks`; this package only knows HTTP, HTML and the rules of a verdict.

The names below are imported when first used: a process that only records what a
checking process found (issue 18) needs :class:`EngineConfig` and :class:`CheckResult`,
not the HTTP clients (~0.5 s of CPU at start-up, aiohttp's TLS contexts included).
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkdir.checker.engine import Checker, FetchedPage, FetchError
    from linkdir.checker.types import CheckResult, EngineConfig, Redirect, Status

__all__ = [
    "CheckResult",
    "Checker",
    "EngineConfig",
    "FetchError",
    "FetchedPage",
    "Known",
    "Redirect",
    "Status",
]

_ENGINE = frozenset({"Checker", "FetchedPage", "FetchError"})


def __getattr__(name: str) -> Any:
    if name in _ENGINE:
        from linkdir.checker import engine

        return getattr(engine, name)
    if name in __all__:
        from linkdir.checker import types

        return getattr(types, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
