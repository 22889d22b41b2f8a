"""Screenshots of the main pages for docs/screenshots/, from a running server.

    .venv/bin/python tools/screenshots.py http://127.0.0.1:8000 [admin-password]

Uses Debian's chromium through Playwright, as the browser tests do.
"""

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main(base: str, admin_password: str | None) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        desk = browser.new_page(viewport={"width": 1280, "height": 900})

        def shot(name: str, path: str, full: bool = False, page=desk) -> None:
            page.goto(base + path)
            page.screenshot(path=OUT / f"{name}.png", full_page=full)
            print("wrote", OUT / f"{name}.png")

        shot("index", "/", full=True)
        desk.goto(base + "/")
        board = desk.locator(".boards .title").first.get_attribute("href")
        shot("board", board)
        desk.goto(base + "/")
        big, most, ref = board, -1, None
        for href in desk.locator(".boards .title").evaluate_all("els => els.map(e => e.href)"):
            for number in (1, 2, 3):
                desk.goto(f"{href}?page={number}")
                for row in desk.locator(".thread-row").all():
                    link = row.locator("a.title")
                    replies = int(row.locator(".replies").inner_text() or 0)
                    if replies > most:
                        big, most = link.get_attribute("href"), replies
                    if "把握新定位" in link.inner_text():
                        ref = link.get_attribute("href")
        shot("thread-big", big)
        shot("thread-last", big + "?page=999999")
        ref = ref or big
        shot("thread", ref)
        shot("print", ref + "print/", full=True)

        phone = browser.new_page(viewport={"width": 360, "height": 780}, is_mobile=True)
        shot("phone", ref, page=phone)
        dark = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme="dark")
        shot("dark", ref, page=dark)

        if admin_password:
            desk.goto(base + "/admin/login/")
            desk.fill("input[name=username]", "admin")
            desk.fill("input[name=password]", admin_password)
            desk.click("input[type=submit]")
            shot("admin", "/admin/forum/thread/")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), sys.argv[2] if len(sys.argv) > 2 else None)
