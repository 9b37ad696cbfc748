"""The web UI's dimensions choice (issue 17), at desktop (1280 px) and phone (390 px) width: an
uploaded (fictional) hotel CSV reviewed with the built-in hotel taxonomy, and two store companies
compared along kununu's 13 German dimensions. The choice is sent as the API's ``taxonomy`` field
(POST body, GET query); the rendered review shows the taxonomy's labels, taken from the review.
Same real server and Chromium as test_web_ui / test_ui_layout; screenshots go to
``test-artifacts/ui-taxonomy-*.png``."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from test_ui_layout import ARTIFACTS, BLUEFIN, NORTHWIND, _no_horizontal_overflow, _open, browser  # noqa: F401
from test_web_ui import server  # noqa: F401  (module-scoped fixtures, reused as is)

from company_reviewer.taxonomy import load_taxonomy

pytestmark = pytest.mark.e2e

# Fictional guests of a fictional hotel.
GUESTS = [
    ("The room was spacious and the bed very comfortable.", "The bathroom had mould around the shower."),
    ("Breakfast was excellent, fresh bread and good coffee.", "The carpet in our room was stained and dusty."),
    ("Reception staff were friendly and quick at check-in.", "Far too expensive for such a small room."),
    ("Great location next to the harbour and the old town.", "Dinner in the restaurant was cold and bland."),
    ("Housekeeping kept everything spotless.", "The night porter was rude to us."),
    ("Good value compared with other hotels in town.", "Thin walls, the room was noisy at night."),
]


@pytest.fixture()
def hotel_csv(tmp_path: Path) -> Path:
    path = tmp_path / "lighthouse-hotel.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["company", "review_id", "pros", "cons", "rating_overall"])
        for i, (pros, cons) in enumerate(GUESTS * 3):
            writer.writerow(["Lighthouse Hotel", f"g{i}", pros, cons, 3 + i % 3])
    return path


def _is_review_post(request) -> bool:
    return request.url.endswith("/v1/reviews") and request.method == "POST"


@pytest.mark.parametrize("width", ["1280", "390"])
def test_upload_reviewed_with_the_hotel_taxonomy(server, browser, hotel_csv, width):  # noqa: F811
    page = _open(browser, server, width)
    page.locator("#taxonomy option[value=hotel]").wait_for(state="attached")  # listed by GET /v1/taxonomies
    offered = page.eval_on_selector_all("#taxonomy option", "os => os.map(o => o.value)")
    assert offered[0] == "default" and {"kununu", "indeed", "hotel"} <= set(offered)
    assert page.input_value("#taxonomy") == "default"
    page.check("input[name=source][value=upload]")
    page.set_input_files("#upload-file", str(hotel_csv))
    hotel = page.locator("#upload-company option", has_text="Lighthouse Hotel")
    hotel.wait_for(state="attached")
    page.select_option("#upload-company", value=hotel.get_attribute("value"))
    page.select_option("#taxonomy", "hotel")
    with page.expect_request(_is_review_post) as sent:
        page.click("#review-btn")
    assert json.loads(sent.value.post_data)["taxonomy"] == "hotel"
    page.wait_for_selector("#result:not([hidden]) article.dimension")
    labels = [d.label for d in load_taxonomy("hotel")]
    assert labels == ["Rooms", "Cleanliness", "Service", "Location", "Value for money", "Food"]
    assert page.locator("article.dimension h3").all_text_contents() == labels
    rows = page.locator("#chart svg text.row-label").all_text_contents()
    assert "Food" in rows and "Salary" not in rows
    assert "dimensions: hotel" in page.text_content("#result-meta")
    _no_horizontal_overflow(page, int(width))
    page.screenshot(path=str(ARTIFACTS / f"ui-taxonomy-hotel-{width}.png"), full_page=True)

    if width == "1280":
        # Back to the default dimensions: the same upload gives the 12 again, and no taxonomy is sent.
        page.select_option("#taxonomy", "default")
        with page.expect_request(_is_review_post) as sent:
            page.click("#review-btn")
        assert "taxonomy" not in json.loads(sent.value.post_data)
        page.locator("article.dimension h3", has_text="Salary").wait_for()
        assert page.locator("article.dimension").count() == 12
        assert "dimensions:" not in page.text_content("#result-meta")
    assert page.script_errors == []
    page.context.close()


@pytest.mark.parametrize("width", ["1280", "390"])
def test_compare_store_companies_along_kununu(server, browser, width):  # noqa: F811
    page = _open(browser, server, width)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/v1/companies/" in r.url and "/review" in r.url else None)
    page.click("#nav-compare")
    page.locator("#compare-taxonomy option[value=kununu]").wait_for(state="attached")
    page.check(f"input[name=compare][value='{NORTHWIND}']")
    page.check(f"input[name=compare][value='{BLUEFIN}']")
    page.select_option("#compare-taxonomy", "kununu")
    page.click("#compare-btn")
    page.wait_for_selector("#compare-result:not([hidden]) #compare-table tbody tr")
    assert len(asked) == 2 and all(parse_qs(urlparse(url).query)["taxonomy"] == ["kununu"] for url in asked)
    kununu = load_taxonomy("kununu")
    heads = page.locator("#compare-table tbody tr th").all_text_contents()
    assert heads == ["Overall", *[d.label for d in kununu]] and "Vorgesetztenverhalten" in heads
    rows = page.locator("#compare-chart svg text.row-label").all_text_contents()
    assert "Kommunikation" in " ".join(rows) and "Salary" not in rows
    _no_horizontal_overflow(page, int(width))
    page.screenshot(path=str(ARTIFACTS / f"ui-taxonomy-compare-kununu-{width}.png"), full_page=True)

    # A store company on the review tab along kununu: the GET review carries the taxonomy too.
    page.click("#nav-review")
    page.select_option("#company", value=NORTHWIND)
    page.select_option("#taxonomy", "kununu")
    with page.expect_request(lambda r: "/review?" in r.url) as sent:
        page.click("#review-btn")
    assert parse_qs(urlparse(sent.value.url).query)["taxonomy"] == ["kununu"]
    page.locator("article.dimension h3", has_text="Gehalt/Sozialleistungen").wait_for()
    assert page.locator("article.dimension").count() == len(kununu.ids)
    _no_horizontal_overflow(page, int(width))
    page.screenshot(path=str(ARTIFACTS / f"ui-taxonomy-review-kununu-{width}.png"), full_page=True)
    assert page.script_errors == []
    page.context.close()
