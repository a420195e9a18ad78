"""Headless Chromium for the browser tests: Debian's chromium, driven by Playwright."""

from __future__ import annotations

import os
import shutil

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    path = os.environ.get("WENMING_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("未找到 Chromium：请先安装（Debian: apt-get install chromium），或设置 WENMING_CHROMIUM")
    return path
