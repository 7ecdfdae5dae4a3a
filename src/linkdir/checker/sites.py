"""Which site an address belongs to, and what kind of page a redirect lands on.

"Another site" means another registrable domain (``bibliotek.goteborg.se`` and
``www.goteborg.se`` are one site; ``goteborg.se`` and ``kb.se`` are two), found with the
Public Suffix List that tldextract bundles: it is never downloaded at run time, so a
check does not depend on publicsuffix.org being reachable.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Any

_SEARCH_PATH = re.compile(
    r"(?:^|/)(?:s[oöø]k|soek|s%c3%b6k|s%c3%b8k|search|sokresultat|s%c3%b6kresultat|"
    r"sökresultat|haku|hae|s[oø]g|s%c3%b8g|soeg|searchresults|search-results)(?:[/.?]|$)",
    re.IGNORECASE,
)
_SEARCH_QUERY = re.compile(r"(?:^|&)(?:q|s|query|search|sok|sokord|searchquery|term|k)=", re.I)


class SiteNames:
    """Registrable domains from the bundled Public Suffix List (one per Checker).

    The list is loaded the first time two different host names are compared: a check
    that stays on its host (most of them) needs no list, and a run that never leaves
    its hosts never pays tldextract's 0.4 s import and 11 MB.
    """

    def __init__(self) -> None:
        self._extract: Any = None
        self.site_of = lru_cache(maxsize=4096)(self._site_of)

    def _extractor(self) -> Any:
        if self._extract is None:
            import tldextract

            # suffix_list_urls=() and no cache directory: the snapshot inside the package.
            self._extract = tldextract.TLDExtract(
                suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
            )
        return self._extract

    def _site_of(self, host: str) -> str:
        host = host.lower().rstrip(".")
        try:
            ipaddress.ip_address(host.strip("[]"))
            return host
        except ValueError:
            pass
        parts = self._extractor()(host)
        if parts.suffix and parts.domain:
            return f"{parts.domain}.{parts.suffix}"
        # Not under a public suffix (``library.test``, an intranet name): the last two labels.
        return ".".join(host.split(".")[-2:])

    def same_site(self, first: str, second: str) -> bool:
        """Whether two host names belong to one registrable domain."""
        if first.lower().rstrip(".") == second.lower().rstrip("."):
            return True
        return self.site_of(first) == self.site_of(second)


def is_search_address(path: str, query: str) -> bool:
    """A site-search address: ``/sok``, ``/search?q=…``, ``/sv/sokresultat``, ``?s=…``."""
    return bool(_SEARCH_PATH.search(path)) or (
        bool(_SEARCH_QUERY.search(query)) and path.rstrip("/").count("/") <= 2
    )


def is_section_of(section: str, item: str) -> bool:
    """``section`` is a directory above ``item``: the item was dropped, its index is shown.

    ``/rapporter/`` above ``/rapporter/2019/digital.html``; the item's own slash form or
    a language prefix swap is not a section.
    """
    above = [part for part in section.split("/") if part]
    below = [part for part in item.split("/") if part]
    return 0 < len(above) < len(below) and below[: len(above)] == above
