from __future__ import annotations

import pytest
from django.utils import timezone

from spreekuur.core.models import NewsItem
from tests.browser.conftest import UI
from tests.factories import PracticeFactory

pytestmark = pytest.mark.browser


def test_practice_page_shows_hours_emergency_and_news(ui: UI, transactional_db: None) -> None:
    practice = PracticeFactory(slug="de-eik", name="Huisartsenpraktijk De Eik")
    NewsItem.objects.create(
        practice=practice,
        title="Griepprik",
        body="Op 1 november.",
        published_on=timezone.localdate(),
    )
    page = ui.goto("/p/de-eik/")
    assert page.get_by_role("heading", name="Huisartsenpraktijk De Eik").is_visible()
    spoed = page.get_by_role("region", name="Spoed")
    assert "112" in spoed.inner_text()
    assert practice.phone_urgent in spoed.inner_text()
    assert "Huisartsenpost Test" in spoed.inner_text()
    assert page.get_by_role("table").is_visible()
    assert page.get_by_text("Griepprik").is_visible()
    ui.screenshot("practice-page-phone")


def test_landing_and_language_switch(ui: UI, transactional_db: None) -> None:
    PracticeFactory(slug="de-eik", name="Huisartsenpraktijk De Eik")
    page = ui.goto("/")
    assert page.get_by_role("link", name="Inloggen").is_visible()
    ui.submit(page.get_by_role("button", name="English"))
    assert page.locator("html").get_attribute("lang") == "en"
    ui.submit(page.get_by_role("button", name="Nederlands"))
    assert page.locator("html").get_attribute("lang") == "nl"
