"""Screenshots of every dashboard page at 1400x1000 and 390x844 (docs/screens/).

Run against a running demo (`make demo`):

    .venv/bin/python docs/screens/capture.py --url http://127.0.0.1:8501 \
        --password '<printed by make demo>' --prefix after
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

PAGES = {"status": "/", "history": "/history", "sync_now": "/sync_now", "alerts": "/alerts"}
SIZES = {"1400": (1400, 1000), "390": (390, 844)}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARGS += ["--disable-component-update", "--disable-dev-shm-usage"]


def settle(page: Page) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector('[data-testid="stMain"]', timeout=30_000)
    page.wait_for_timeout(1500)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=30_000)
    page.wait_for_timeout(1000)


def login(page: Page, url: str, user: str, password: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="Username").fill(user)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector('[data-testid="stSidebar"]', state="attached", timeout=30_000)
    settle(page)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8501")
    parser.add_argument("--user", default="cfo")
    parser.add_argument("--password", required=True)
    parser.add_argument("--prefix", default="after")
    parser.add_argument("--out", default=str(Path(__file__).parent))
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        for size, (width, height) in SIZES.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            login(page, args.url, args.user, args.password)
            for name, path in PAGES.items():
                page.goto(args.url + path)
                settle(page)
                if not page.url.rstrip("/").endswith(path.rstrip("/")):
                    # No deep links (the old dashboard): go there through the sidebar link.
                    link = page.locator(f'[data-testid="stSidebarNavLink"][href$="{path}"]')
                    link.first.evaluate("e => e.click()")
                    settle(page)
                shot = Path(args.out) / f"ux-{args.prefix}-{name}-{size}.png"
                # Streamlit scrolls inside its main block: grow the window to the page's height.
                tall = page.evaluate(
                    "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight"
                )
                page.set_viewport_size({"width": width, "height": max(height, int(tall))})
                page.wait_for_timeout(800)
                page.screenshot(path=str(shot))
                page.set_viewport_size({"width": width, "height": height})
                print(shot, page.url)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
