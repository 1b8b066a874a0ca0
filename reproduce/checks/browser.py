"""The explorer in a real browser: its server on a free port, and Debian's headless Chromium driven by
Playwright (never Playwright's own browser download). Used by the browser bench and tests/test_explore.py.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from ..core import paths

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))  # $CHROMIUM: another Chromium-based browser
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1800}  # every chart of the page in view


def missing() -> list[str]:
    """What the browser runs need and this machine lacks, as install hints."""
    out = [] if CHROMIUM.exists() else ["chromium (apt-get install -y chromium)"]
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        out.append("playwright (pip install playwright)")
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(timeout: float = 90):
    """The explorer on 127.0.0.1 on a free port: yields (url, process); stopped when the block ends."""
    from ..explore.__main__ import command
    port = free_port()
    proc = subprocess.Popen(command(port), cwd=paths.ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the explorer exited: {proc.stdout.read().decode()[-2000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the explorer did not answer within {timeout} s") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/", proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def browser(playwright):
    """A headless Chromium with a new empty profile; yields (context, profile folder)."""
    with tempfile.TemporaryDirectory(prefix="explore-chromium-", ignore_cleanup_errors=True) as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True, viewport=VIEWPORT)
        try:
            yield context, profile
        finally:
            context.close()
