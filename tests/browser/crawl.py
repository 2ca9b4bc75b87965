"""The pages each demo role can reach, found the way a person finds them: from the role's home
and navigation, following links on the site, one page per kind of URL.

Two links are the same kind of page when they differ only in a case reference, a number in the
path, or the values (not the names) of their query parameters: `/cases/EAP-10148/` and
`/cases/EAP-10150/` are one kind, `/work/?family=email` and `/work/?family=call` another.
Visiting one of each keeps the crawl small (a few dozen pages per role) while still reaching
one case, one referral, one email and each of their forms.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

#: Where links are not followed, and why:
#: - Django's admin ("Reference data") is Django's own markup, audited by Django, not ours;
#: - the JSON API and its schema are not pages (the API's documentation page is);
#: - downloads (email attachments, uploaded case notes) are files, not pages;
#: - static files.
NOT_PAGES = [
    re.compile(r"^/admin/"),
    re.compile(r"^/api/v1/(?!docs/$)"),
    re.compile(r"^/email/attachments/"),
    re.compile(r"^/provider/cases/[^/]+/notes/\d+/$"),
    re.compile(r"^/provider/cases/[^/]+/notes/\d+/view/$"),  # a PDF shown in the review page
    re.compile(r"^/static/"),
]

_REFERENCE = re.compile(r"EAP-\d+")
_NUMBER = re.compile(r"/\d+(?=/)")

_LINKS = """() => Array.from(document.querySelectorAll("a[href]"))
  .filter((a) => !a.hasAttribute("download"))
  .map((a) => a.href)"""


def kind_of(url: str) -> str:
    """`/cases/EAP-10148/attempt/?next=/work/` -> `/cases/{ref}/attempt/?next`."""
    parts = urlsplit(url)
    path = _NUMBER.sub("/{n}", _REFERENCE.sub("{ref}", parts.path))
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return path + ("?" + "&".join(keys) if keys else "")


def _local(url: str, base: str) -> str | None:
    """The link as a path and query on the site under test, or None when it leaves the site,
    is an anchor on the same page, or is not a page."""
    parts = urlsplit(urljoin(base, url))
    if f"{parts.scheme}://{parts.netloc}" != base or parts.scheme not in ("http", "https"):
        return None
    if any(pattern.search(parts.path) for pattern in NOT_PAGES):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True)
class Visit:
    """A page the crawl opened: where it is (path and query) and what kind of page it is."""

    path: str
    kind: str


def crawl(page: Any, base: str, start: list[str], *, limit: int = 80) -> Iterator[Visit]:
    """Open `start` and then every kind of page linked from what was opened (breadth first),
    yielding each page while the browser shows it. The caller may inspect the page, and even
    navigate away: the links are read before the page is yielded. More than `limit` kinds of
    page means the kinds are wrongly drawn, and fails rather than running for ever."""
    queue = list(start)
    seen = {kind_of(path) for path in queue}
    opened: set[str] = set()
    while queue:
        response = page.goto(queue.pop(0))
        page.wait_for_load_state()
        assert response is not None and response.ok, f"{page.url} answered {response.status}"
        # A redirect (the home page sends each role to its own) may land on a kind of page
        # already opened, or on one that is not ours (a WPO admin's home is Django's admin).
        path = _local(page.url, base)
        if path is None or kind_of(path) in opened:
            continue
        opened.add(kind_of(path))
        seen.add(kind_of(path))
        assert len(opened) <= limit, f"more than {limit} kinds of page: {sorted(opened)}"
        for href in page.evaluate(_LINKS):
            local = _local(href, base)
            if local is not None and kind_of(local) not in seen:
                seen.add(kind_of(local))
                queue.append(local)
        yield Visit(path=path, kind=kind_of(path))
