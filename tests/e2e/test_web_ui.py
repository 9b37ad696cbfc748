"""The web UI end to end: the real server (``company-reviewer serve`` in a subprocess) on a temp
SQLite store with the fictional demo companies, driven by Debian's Chromium through Playwright.
Screenshots of each step go to ``test-artifacts/web-ui/``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from company_reviewer.reviewer.schema import CompanyReview

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web-ui"
HOSTILE = ("Management never listens to the drivers. <script>window.__pwned = 1</script> "
           "<img src=x onerror=\"window.__pwned = 2\"> The pay is below market but colleagues are kind.")


def _cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "company_reviewer.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300, check=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, demo_reviews_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium; .ci/run does it)")
    folder = tmp_path_factory.mktemp("web-ui")
    env = {**os.environ, "COMPANY_REVIEWER_DATA_DIR": str(os.environ.get("COMPANY_REVIEWER_DATA_DIR") or folder),
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    database = f"sqlite:///{folder / 'store.sqlite'}"
    _cli("ingest", str(demo_reviews_path), "--database", database, env=env)
    key = _cli("keys", "create", "browser", "--database", database, env=env).stdout.strip().splitlines()[-1]
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "company_reviewer.cli", "serve", "--port", str(port),
                                "--database", database], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the server did not start: {process.stdout.read()[-3000:]}")
            time.sleep(0.3)
    yield base, key
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(60_000)
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.dialogs = dialogs
        yield page
        browser.close()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_key_then_review_a_store_company(server, page):
    base, key = server
    page.goto(base + "/")
    assert page.locator("#key-form").is_visible()
    _shot(page, "01-start")
    page.fill("#api-key", key)
    page.click("#use-key")
    # Locator waits, not wait_for_function: the page's CSP (no eval) applies to test predicates too.
    page.locator("#company option").nth(3).wait_for(state="attached")
    page.select_option("#company", label="Northwind Analytics (demo, 45 reviews)")
    page.click("#review-btn")
    page.wait_for_selector("#result:not([hidden]) article.dimension")
    assert page.locator("article.dimension").count() == 12
    assert page.locator("#chart svg circle.rating").count() >= 10
    assert page.locator("#chart svg line.interval").count() >= 10
    assert "Overall" in page.text_content("#result-overall")
    first_quote = page.locator("details.quote").first
    quote = first_quote.locator("summary").text_content()
    first_quote.locator("summary").click()
    page.wait_for_selector("details.quote[open] .source-review mark")
    marked = first_quote.locator("mark").text_content()
    assert marked and marked in quote  # the quote sits verbatim inside the full source review
    _shot(page, "02-review")


def test_ask_a_question(server, page):
    page.fill("#question", "How is the pension?")
    page.click("#ask")
    page.wait_for_selector("#answer-text")
    answer = page.text_content("#answer-text")
    quotes = page.locator("#answer details.quote summary").all_text_contents()
    assert quotes and "reviews of Northwind Analytics" in answer
    assert any("pension" in q.lower() for q in quotes)
    _shot(page, "03-chat")


def test_download_json_and_markdown(server, page, tmp_path):
    with page.expect_download() as download:
        page.click("#download-json")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    review = CompanyReview.model_validate(json.loads(path.read_text()))
    assert review.company == "Northwind Analytics" and len(review.dimensions) == 12
    with page.expect_download() as download:
        page.click("#download-md")
    markdown = Path(download.value.path()).read_text()
    assert download.value.suggested_filename.endswith(".md") and markdown.startswith("# Northwind Analytics")


def test_pasted_reviews_are_shown_as_text(server, page):
    page.check("input[name=source][value=paste]")
    page.fill("#paste-company", "Pasted <b>Haulage</b>")
    page.fill("#paste-text", f"{HOSTILE}\n\n{HOSTILE} Night shifts are exhausting.")
    page.click("#review-btn")
    page.locator("#result-company", has_text="Haulage").wait_for()
    assert page.text_content("#result-company") == "Pasted <b>Haulage</b>"
    page.locator("details.quote summary").first.click()
    page.wait_for_selector("details.quote[open] .source-review")
    shown = page.locator("details.quote[open] .source-review").text_content()
    assert "<script>window.__pwned = 1</script>" in shown
    assert page.evaluate("window.__pwned") is None and page.locator("#result script, #result img").count() == 0
    assert page.dialogs == []
    _shot(page, "04-pasted-escaped")


def test_compare_two_companies(server, page):
    page.click("#nav-compare")
    page.check("input[name=compare][value='demo::Northwind Analytics']")
    page.check("input[name=compare][value='demo::Bluefin Logistics']")
    page.click("#compare-btn")
    page.wait_for_selector("#compare-result:not([hidden]) #compare-table tbody tr")
    assert page.locator("#compare-table tbody tr").count() == 13
    headers = page.locator("#compare-table thead th").all_text_contents()
    assert headers[0] == "Dimension" and sorted(headers[1:]) == ["Bluefin Logistics", "Northwind Analytics"]
    colours = page.eval_on_selector_all("#compare-chart circle.rating",
                                        "cs => new Set(cs.map(c => c.getAttribute('fill'))).size")
    assert colours == 2
    _shot(page, "05-compare")
    assert page.dialogs == []
