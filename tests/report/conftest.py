"""Fixtures of the report tests: a real browser (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def chromium() -> str:
    """The system chromium; installed with scripts/browser.sh (apt) when missing."""
    if not os.path.exists(CHROMIUM) and shutil.which("apt-get"):
        try:
            subprocess.run(["bash", os.path.join(ROOT, "scripts", "browser.sh")], timeout=900, check=False)
        except subprocess.TimeoutExpired:
            pass
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing and scripts/browser.sh could not install it with apt-get")
    return CHROMIUM


@pytest.fixture()
def browser_page(chromium, tmp_path):
    """A Playwright page in headless chromium with no network beyond loopback."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-extensions", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            yield page
        finally:
            browser.close()
