"""The redesigned web UI at desktop (1280 px) and phone (390 px) width, in real headless Chromium:
a review's cards, the compare chart, no horizontal scrolling on a phone, the favicon, progress,
error messages and the wiring-model label. The server and browser come from ``test_web_ui``'s
fixtures; screenshots go to ``test-artifacts/ui-*.png`` and the time to first review to
``test-artifacts/ui-timings.json``."""

from __future__ import annotations

import csv
import json
import urllib.request
from pathlib import Path

import pytest

from test_web_ui import CHROMIUM, CHROMIUM_ARGS, server  # noqa: F401  (fixture reused as is)

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WIDTHS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}
NORTHWIND, BLUEFIN = "demo::Northwind Analytics", "demo::Bluefin Logistics"
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def browser(server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    if TIMINGS:
        (ARTIFACTS / "ui-timings.json").write_text(json.dumps(TIMINGS, indent=2) + "\n")


def _open(browser, server, width: str):  # noqa: F811
    """A fresh page at the given width, signed in with the test key, the company list loaded."""
    base, key = server
    phone = width == "390"
    context = browser.new_context(viewport=WIDTHS[width], is_mobile=phone, has_touch=phone, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.script_errors = errors
    page.goto(base + "/")
    page.fill("#api-key", key)
    page.click("#use-key")
    page.locator("#company option").nth(3).wait_for(state="attached")
    return page


def _no_horizontal_overflow(page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page is {scroll} px wide at a {width} px viewport (horizontal scroll)"
    wide = page.evaluate("""w => [...document.querySelectorAll('body *')].filter(e => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && r.right > w + 1 && !e.closest('.table-wrap');
      }).map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)""", width)
    assert not wide, f"elements stick out of the {width} px viewport: {wide}"


def _texts_do_not_overlap(page, selector: str) -> None:
    boxes = page.eval_on_selector_all(selector + " svg text", """ts => ts.map(t => {
        const r = t.getBoundingClientRect(); return [t.textContent, r.left, r.top, r.right, r.bottom]; })""")
    clashes = [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
               if a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5 and a[2] < b[4] - 0.5 and b[2] < a[4] - 0.5]
    assert not clashes, f"chart labels overlap: {clashes[:5]}"


def _review_store_company(page, key: str = NORTHWIND) -> None:
    page.select_option("#company", value=key)
    page.click("#review-btn")
    page.wait_for_selector("#result:not([hidden]) article.dimension")


@pytest.mark.parametrize("width", ["1280", "390"])
def test_review_cards_render(server, browser, width):  # noqa: F811
    page = _open(browser, server, width)
    assert page.locator("link[rel=icon]").get_attribute("href") == "/static/favicon.svg"
    with urllib.request.urlopen(server[0] + "/static/favicon.svg") as response:
        assert response.status == 200 and b"<svg" in response.read()
    with urllib.request.urlopen(server[0] + "/favicon.ico") as response:  # pages without the link (/docs)
        assert response.status == 200 and response.headers["content-type"].startswith("image/svg+xml")
    _review_store_company(page)
    TIMINGS.setdefault(f"store_review_s_{width}px", float(page.get_attribute("body", "data-last-review-seconds")))
    cards = page.locator("article.dimension")
    assert cards.count() == 12
    first = cards.first
    assert first.locator("h3").text_content().strip()
    assert "/5" in first.locator(".badge").text_content() or "not rated" in first.locator(".badge").text_content()
    assert "reviews mention it" in first.locator(".how").text_content()
    assert "90% interval" in first.locator(".how").text_content()
    assert first.locator(".summary").text_content().strip()
    assert first.locator(".pros h4").is_visible() and first.locator(".cons h4").is_visible()
    chips = page.locator("article.dimension details.quote .sentiment").all_text_contents()
    assert chips and all(c.split()[-1] in {"positive", "negative", "neutral"} for c in chips)
    assert page.locator("#chart svg circle.rating").count() == 13  # overall and the 12 dimensions
    assert page.locator("#chart svg .axis-title", has_text="Rating (1 = poor, 5 = excellent)").count() == 1
    assert "Overall" in page.text_content("#result-overall")
    assert page.locator("#model-note").is_hidden()  # the embedded model is no wiring model
    assert page.locator("#result a, #result img, #result script").count() == 0
    assert page.locator("#progress").is_hidden()
    _texts_do_not_overlap(page, "#chart")
    _no_horizontal_overflow(page, int(width))
    page.screenshot(path=str(ARTIFACTS / f"ui-review-{width}.png"), full_page=True)
    page.locator("#result").scroll_into_view_if_needed()
    page.evaluate("document.getElementById('result').scrollIntoView()")
    page.screenshot(path=str(ARTIFACTS / f"ui-review-top-{width}.png"))
    assert page.script_errors == []
    page.context.close()


@pytest.mark.parametrize("width", ["1280", "390"])
def test_compare_chart_two_companies(server, browser, width):  # noqa: F811
    page = _open(browser, server, width)

    def drop_a_rating(route):  # Bluefin as if it had too little to say about D&I (the "not rated" case)
        response = route.fetch()
        review = response.json()
        if review.get("company") == "Bluefin Logistics":
            review["dimensions"]["diversity_inclusion"].update(rating=None, interval=None)
        route.fulfill(response=response, json=review)

    page.route("**/v1/companies/*/review*", drop_a_rating)
    page.click("#nav-compare")
    page.check(f"input[name=compare][value='{NORTHWIND}']")
    page.check(f"input[name=compare][value='{BLUEFIN}']")
    page.click("#compare-btn")
    page.wait_for_selector("#compare-result:not([hidden]) #compare-table tbody tr")
    assert page.locator("#compare-table tbody tr").count() == 13
    colours = page.eval_on_selector_all("#compare-chart circle.rating",
                                        "cs => new Set(cs.map(c => c.getAttribute('fill'))).size")
    assert colours == 2
    assert page.locator("#compare-chart circle.rating").count() == 2 * 13 - 1
    assert page.locator("#compare-legend .legend-item").count() == 2
    # "not rated" sits on Bluefin's own line of the D&I row, in Bluefin's colour, clear of Northwind's
    unrated = page.locator("#compare-chart text.unrated:not(.value)")
    assert unrated.count() == 1 and "Bluefin Logistics" in unrated.text_content()
    bluefin_colour = page.eval_on_selector_all(
        "#compare-chart circle.rating",
        "cs => cs.find(c => c.textContent.startsWith('Bluefin Logistics:')).getAttribute('fill')")
    assert unrated.get_attribute("fill") == bluefin_colour
    assert page.locator("#compare-table tr[data-dimension=diversity_inclusion] td.unrated").count() == 1
    for axis in ("Rating (1 = poor, 5 = excellent)", "Dimension" if width == "1280" else "Rating"):
        assert page.locator("#compare-chart .axis-title", has_text=axis).count() >= 1
    _texts_do_not_overlap(page, "#compare-chart")
    _no_horizontal_overflow(page, int(width))
    page.screenshot(path=str(ARTIFACTS / f"ui-compare-{width}.png"), full_page=True)
    assert page.script_errors == []
    page.context.close()


def test_progress_is_shown_while_a_review_runs(server, browser):  # noqa: F811
    page = _open(browser, server, "390")
    held = []
    page.route("**/v1/companies/*/review*", lambda route: held.append(route))
    page.select_option("#company", value=BLUEFIN)
    page.click("#review-btn")
    page.locator("#progress").wait_for(state="visible")
    assert "Reviewing Bluefin Logistics" in page.text_content("#progress-text")
    assert page.locator("#review-btn").is_disabled()
    page.wait_for_timeout(1300)
    assert page.text_content("#progress-time").endswith(" s")  # elapsed time ticks
    page.screenshot(path=str(ARTIFACTS / "ui-progress-390.png"))
    held[0].continue_()
    page.wait_for_selector("#result:not([hidden]) article.dimension")
    assert page.locator("#progress").is_hidden() and not page.locator("#review-btn").is_disabled()
    page.context.close()


def test_upload_job_reports_per_company_progress(server, browser, demo_reviews_path, tmp_path):  # noqa: F811
    with demo_reviews_path.open(newline="") as source:
        rows = [r for r in csv.DictReader(source) if r["company"] in {"Aurora Health Systems", "Kieler Werft GmbH"}]
    upload = tmp_path / "two-companies.csv"
    with upload.open("w", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    page = _open(browser, server, "1280")
    page.check("input[name=source][value=upload]")
    page.set_input_files("#upload-file", str(upload))
    page.locator("#upload-company option").nth(2).wait_for(state="attached")
    assert "2 companies" in page.text_content("#status")
    page.select_option("#upload-company", index=2)  # "All 2 companies (one background job)"
    polls, held = [], []

    def halfway_then_hold(route):  # the first poll answers "1 of 2 done", the second waits for the test
        polls.append(route.request.url)
        if len(polls) == 1:
            job = route.fetch().json()
            route.fulfill(json={**job, "status": "running", "n_done": 1, "n_total": 2, "results": []})
        elif len(polls) == 2:
            held.append(route)
        else:
            route.continue_()

    page.route("**/v1/jobs/*", halfway_then_hold)
    page.click("#review-btn")
    page.locator("#progress").wait_for(state="visible")
    while not held:
        page.wait_for_timeout(50)
    assert "Reviewed: 1 of 2 companies (50%)" in page.text_content("#progress-text")
    assert page.get_attribute("#progress-bar", "value") == "1" and page.get_attribute("#progress-bar", "max") == "2"
    page.screenshot(path=str(ARTIFACTS / "ui-upload-progress-1280.png"))
    held[0].continue_()
    page.wait_for_selector("#job-pick:not([hidden])")
    TIMINGS["upload_job_2_companies_s"] = float(page.get_attribute("body", "data-last-review-seconds"))
    assert page.locator("#job-company option").count() == 2
    first = page.text_content("#result-company")
    page.select_option("#job-company", index=1)
    assert page.text_content("#result-company") != first and page.locator("article.dimension").count() == 12
    assert "Reviewed 2 companies" in page.text_content("#status")
    page.screenshot(path=str(ARTIFACTS / "ui-upload-job-1280.png"))
    page.context.close()


def test_upload_one_company_time_to_first_review(server, browser, demo_reviews_path, tmp_path):  # noqa: F811
    with demo_reviews_path.open(newline="") as source:
        rows = [r for r in csv.DictReader(source) if r["company"] == "Kieler Werft GmbH"]
    upload = tmp_path / "one-company.csv"
    with upload.open("w", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    page = _open(browser, server, "390")
    page.check("input[name=source][value=upload]")
    page.set_input_files("#upload-file", str(upload))
    page.locator("#upload-company option").first.wait_for(state="attached")
    page.click("#review-btn")
    page.wait_for_selector("#result:not([hidden]) article.dimension")
    TIMINGS["upload_review_s"] = float(page.get_attribute("body", "data-last-review-seconds"))
    assert page.text_content("#result-company") == "Kieler Werft GmbH"
    _no_horizontal_overflow(page, 390)
    page.context.close()


def test_wiring_model_is_labelled(server, browser):  # noqa: F811
    page = _open(browser, server, "390")

    def as_smollm(route):  # the answer an llm:llamacpp review with the bundled SmolLM2 gives
        response = route.fetch()
        review = response.json()
        review["model"] = {"name": "llm:llamacpp", "version": "llamacpp+0a1b2c3d4e5f grounded (embedded 0.1.0)",
                           "experimental": "wiring model", "parameters": 134515008, "ratings_from": "embedded"}
        salary, benefits = review["dimensions"]["salary"], review["dimensions"]["benefits"]
        salary["generation"] = {"source": "llm", "kept": ["a", "b"], "dropped": ["c"], "retries": 0}
        benefits["generation"] = {"source": "fallback", "kept": [], "dropped": [], "retries": 2,
                                  "error": "invalid JSON after 2 retries"}
        route.fulfill(response=response, json=review)

    page.route("**/v1/companies/*/review*", as_smollm)
    _review_store_company(page, BLUEFIN)
    note = page.locator("#model-note")
    assert note.is_visible() and "wiring model" in note.text_content() and "135M parameters" in note.text_content()
    assert "Ratings and intervals are the embedded model's" in note.text_content()
    assert "kept 2 and dropped 1" in page.text_content("article[data-dimension=salary] .provenance")
    assert "invalid JSON after 2 retries" in page.text_content("article[data-dimension=benefits] .provenance")
    _no_horizontal_overflow(page, 390)
    page.evaluate("document.getElementById('result').scrollIntoView()")
    page.screenshot(path=str(ARTIFACTS / "ui-wiring-note-390.png"))
    page.context.close()


@pytest.mark.parametrize("width", ["1280", "390"])
def test_errors_are_clear(server, browser, width):  # noqa: F811
    page = _open(browser, server, width)
    page.check("input[name=source][value=paste]")
    page.fill("#paste-company", "Broken Ltd")
    page.fill("#paste-text", "[{\"text\": \"fine\"}, oops]")
    page.click("#review-btn")
    status = page.locator("#status")
    status.wait_for(state="visible")
    assert "Something went wrong" in status.text_content() and "not a valid JSON array" in status.text_content()
    page.fill("#paste-text", "[{\"review_id\": \"1\"}]")  # valid JSON, no review text: the server's 422
    page.click("#review-btn")
    page.locator("#status", has_text="HTTP 422").wait_for()
    assert page.locator("#result").is_hidden() and page.locator("#progress").is_hidden()
    _no_horizontal_overflow(page, int(width))
    page.screenshot(path=str(ARTIFACTS / f"ui-error-{width}.png"))
    page.context.close()


def test_one_rounding_rule_with_the_server(server, browser):  # noqa: F811
    """The UI formats ratings as Python's ``{:.1f}`` does (ties to even), as the server's text does."""
    page = _open(browser, server, "1280")
    for value in (3.25, 3.75, 2.45, 3.35, 1.05, 4.95, 2.5, 3.0, 4.15, 1.0):
        assert page.evaluate(f"fmt1({value})") == f"{value:.1f}", value
    page.context.close()
