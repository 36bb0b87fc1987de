"""Headless Chromium for reader tests: serve a built site on localhost and open it as a reader would.

Uses Debian's /usr/bin/chromium driven by Playwright for Python (the wheel ships its driver; no
browser is ever downloaded). Each browser gets a fresh profile directory and no network chatter.

    with serve_directory(site) as base_url, chromium() as browser:
        page = browser.new_page()
        page.goto(base_url)
"""

from __future__ import annotations

import functools
import http.server
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def chromium_unavailable() -> str | None:
    """Why a headless Chromium cannot be driven here, or None."""
    if shutil.which(CHROMIUM) is None:
        return f"{CHROMIUM} is not installed (Debian package chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (Python) is not installed: pip install -e '.[test]'"
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        pass


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve `root` over HTTP on 127.0.0.1 (an ephemeral port); yields the base URL with a trailing /."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# No network but this machine's loopback: names other than 127.0.0.1 do not resolve, and every
# connection goes through a proxy that is not there, except to 127.0.0.1 (an offline docs site).
OFFLINE = [
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
]


@contextmanager
def chromium(extra_args: list[str] | None = None) -> Iterator[Any]:
    """A Playwright BrowserContext on headless Chromium with a fresh, throwaway profile.

    Playwright's sync API does not nest: open one at a time per process (share it through a fixture).
    """
    reason = chromium_unavailable()
    if reason:
        pytest.skip(f"headless Chromium unavailable: {reason}")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="netstack-docs-chromium-")
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=[*FLAGS, *(extra_args or [])],
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
