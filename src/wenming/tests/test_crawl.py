"""A link is shown only where the viewer may follow it (DESIGN.md §4): for each persona, start at
the home page and follow every same-site link (``<a href>``, and htmx's ``hx-get``) of every page
reached; each must answer 200, or a redirect that lands on a 200 page. A link that answers 403,
404 or 500 is a page offering what its viewer may not open.

Bounds: at most ``MAX_PAGES`` addresses per persona, ``MAX_VARIANTS`` query strings per path (a
list's filters and pages are variants of one page); logout is not followed; downloads (anything
but HTML) are fetched, must answer 200, and are not read for links. The data is the small city
of ``world.py``: problems in every state, a 督办单, rounds with results, points, a standards system.
"""

from __future__ import annotations

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from .test_route_matrix import ALL

MAX_PAGES = 300
MAX_VARIANTS = 4
MAX_REDIRECTS = 5
SKIP_PREFIXES = ("/logout/", "/static/")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.found.append(values["href"])
        if values.get("hx-get"):
            self.found.append(values["hx-get"])


def links_of(html: str, base: str) -> list[str]:
    """Same-site addresses of the page's links, absolute paths with their query, no fragment."""
    parser = _Links()
    parser.feed(html)
    found = []
    for href in parser.found:
        href = href.strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            continue
        url = urldefrag(urljoin(base, href))[0]
        parts = urlsplit(url)
        if parts.netloc not in ("", "testserver") or parts.scheme not in ("", "http"):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not path.startswith(SKIP_PREFIXES):
            found.append(path)
    return found


def crawl(client) -> tuple[dict[str, int], list[str]]:
    """Visit every address reachable from the home page; returns {address: final status} and the
    defects found, each naming the page that showed the link."""
    queue: deque[tuple[str, str]] = deque([("/", "(start)")])
    seen: set[str] = {"/"}
    variants: dict[str, int] = {}
    statuses: dict[str, int] = {}
    defects: list[str] = []
    while queue and len(statuses) < MAX_PAGES:
        url, referrer = queue.popleft()
        response, target, hops = client.get(url), url, 0
        while response.status_code in (301, 302, 303, 307, 308) and hops < MAX_REDIRECTS:
            target = urljoin(target, response["Location"])
            response, hops = client.get(target), hops + 1
        statuses[url] = response.status_code
        if response.status_code != 200:
            via = f" (redirected to {target})" if target != url else ""
            defects.append(f"{url}{via} answers {response.status_code} — linked from {referrer}")
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue  # a download, an image, JSON: fetched, not read for links
        for link in links_of(response.content.decode(), target):
            path = link.split("?", 1)[0]
            if link in seen:
                continue
            if "?" in link:
                if variants.get(path, 0) >= MAX_VARIANTS:
                    continue
                variants[path] = variants.get(path, 0) + 1
            seen.add(link)
            queue.append((link, url))
    return statuses, defects


@pytest.mark.parametrize("persona", ALL)
def test_every_link_shown_may_be_followed(city, client_for, persona):
    statuses, defects = crawl(client_for(persona))
    assert len(statuses) > 3, f"{persona}: the crawl reached only {sorted(statuses)}"
    assert not defects, f"{persona}: {len(defects)} link(s) the viewer may not follow:\n" + "\n".join(defects)


def test_the_crawl_reaches_the_worlds_pages(city, client_for):
    """The crawl is not vacuous: the city office, who sees everything, reaches a page of every kind."""
    statuses, _ = crawl(client_for("office_city"))
    for url in [f"/problems/{city.p_rectifying.code}/", f"/problems/notices/{city.notice.pk}/",
                f"/inspections/{city.round_a.pk}/", f"/inspections/result/{city.rp_a1.pk}/",
                f"/points/{city.point_a1.code}/", f"/standards/{city.system.pk}/", f"/org/teams/{city.team_city.pk}/",
                f"/org/units/{city.org['street_a1'].pk}/", f"/jobs/{city.job.pk}/"]:
        assert url in statuses, f"office_city's crawl never reached {url}"


def test_links_of_keeps_same_site_addresses_only():
    html = ('<a href="/problems/">台账</a><a href="https://example.com/x">外部</a><a href="#top">顶部</a>'
            '<a href="detail/?page=2#x">下一页</a><div hx-get="/org/units/3/children/"></div>'
            '<a href="/static/app.css">样式</a><a href="mailto:a@b.cn">信</a>')
    assert links_of(html, "/points/") == ["/problems/", "/points/detail/?page=2", "/org/units/3/children/"]
