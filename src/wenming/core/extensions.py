"""Hooks through which the apps above the base layer plug into core's pages and checks, so that
``core`` never imports them (DESIGN.md §3: core and org import nothing above them).

An app registers its hooks in its ``AppConfig.ready()``:

* ``photo_viewers``: ``check(user, photo) -> bool`` — whether the user sees a photo because he
  sees the object it belongs to (a problem, a point …);
* ``home_attention``: ``items(user) -> list[dict]`` — the app's lines of the home page's
  “需要关注” list (``label``, ``count``, ``url`` name, ``query``);
* ``place_finders``: ``find(latitude, longitude) -> Unit | None`` — the unit a point lies in
  when no imported boundary contains it (places: the area of the nearest surveyed point);
* ``audit_labels``: Chinese names of the app's audit actions and permissions, for the audit log
  page (an action without one is shown by its code — a test requires one for every action);
* ``screen_pages``: the URL namespaces a 大屏展示账号 may open (``register_screen_pages``, the
  dashboard's) and the page it is sent to instead of the home page;
* ``nav``: menu entries ``NavEntry(order, url_name, label, may)``, shown to a user when
  ``may(user)`` — a function of the app's access policy — says he may open the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

photo_viewers: list[Callable] = []
home_attention: list[Callable] = []
place_finders: list[Callable] = []
audit_labels: dict[str, str] = {}


def register_photo_viewer(check: Callable) -> None:
    if check not in photo_viewers:
        photo_viewers.append(check)


def register_home_attention(items: Callable) -> None:
    if items not in home_attention:
        home_attention.append(items)


def register_audit_labels(labels: dict[str, str]) -> None:
    audit_labels.update(labels)


def register_place_finder(find: Callable) -> None:
    if find not in place_finders:
        place_finders.append(find)


@dataclass(frozen=True)
class NavEntry:
    order: int
    url_name: str
    label: str
    may: Callable  # may(user) -> bool, from the app's policy module


nav: list[NavEntry] = []


def register_nav(order: int, url_name: str, label: str, may: Callable) -> None:
    if all(entry.url_name != url_name for entry in nav):
        nav.append(NavEntry(order, url_name, label, may))


@dataclass
class ScreenPages:
    """What a 大屏展示账号 (org Role.SCREEN held alone) may open: these URL namespaces, and
    ``home`` (a URL name) instead of the home page. Nothing is open to it until an app registers."""

    namespaces: set[str]
    home: str | None = None


screen_pages = ScreenPages(namespaces=set())


def register_screen_pages(namespace: str, home: str) -> None:
    screen_pages.namespaces.add(namespace)
    screen_pages.home = home
