"""The pure link-checker engine: URL in, :class:`CheckResult` out (DESIGN §3-4).

No database, no globals, no environment. Monitoring (claims, state, history) lives in
:mod:`linkdir.checks`; this package only knows HTTP, HTML and the rules of a verdict.
"""

from linkdir.checker.engine import Checker, FetchedPage, FetchError
from linkdir.checker.types import CheckResult, EngineConfig, Redirect, Status

__all__ = [
    "CheckResult",
    "Checker",
    "EngineConfig",
    "FetchError",
    "FetchedPage",
    "Redirect",
    "Status",
]
