"""OpenSearch description: browsers offer the directory as a search engine."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

from litestar import Request, Response, get

from linkdir import i18n
from linkdir.config import Settings

MEDIA_TYPE = "application/opensearchdescription+xml; charset=utf-8"


@get("/opensearch.xml", include_in_schema=False)
async def opensearch(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The OpenSearch 1.1 description of ``/search?q=``, in the reader's language."""
    settings: Settings = request.app.state.settings
    locale = i18n.current_locale()
    base = settings.base_url.rstrip("/")
    template = f"{base}/search?q={{searchTerms}}&lang={locale}"
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">\n'
        f"  <ShortName>linkdir</ShortName>\n"
        f"  <Description>{escape(i18n.gettext('Search the directory'))}</Description>\n"
        "  <InputEncoding>UTF-8</InputEncoding>\n"
        f"  <Language>{locale}</Language>\n"
        f'  <Url type="text/html" method="get" template={quoteattr(template)}/>\n'
        f'  <Url type="application/opensearchdescription+xml" rel="self" '
        f"template={quoteattr(base + '/opensearch.xml')}/>\n"
        f'  <moz:SearchForm xmlns:moz="http://www.mozilla.org/2006/browser/search/">'
        f"{escape(base)}/search</moz:SearchForm>\n"
        "</OpenSearchDescription>\n"
    )
    return Response(
        body.encode(),
        media_type=MEDIA_TYPE,
        headers={"Cache-Control": "public, max-age=86400", "Vary": "Accept-Language, Cookie"},
    )
