"""The dashboard in a real browser: the manager reads last month's figures against the
month before, opens a chart's table, switches to last quarter, fills in the monthly review
and adds a tariff; a GP reads the same; an assistant is refused. The care group's analyst
sees the region with the small counts hidden, and nothing of a practice.

Every page goes through `ui.goto` or `ui.submit` (axe-core on each, no sideways scrolling),
at 360 px and for the key pages at 1280 px, with screenshots in test-artifacts/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.dashboard.models import DailyFigure, MonthlyReview, Tariff
from spreekuur.dashboard.periods import period_named
from spreekuur.dashboard.services import add_region_analyst, refresh_figures, set_up_region
from tests.browser.conftest import UI
from tests.browser.people import (
    FORBIDDEN,
    PHONE,
    both_widths,
    log_in,
    nav,
    staff,
)
from tests.factories import PracticeFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def practice(transactional_db: None) -> Practice:
    return PracticeFactory(slug="de-linde", name="Huisartsenpraktijk De Linde")


def figures(practice: Practice, *, consults: int, no_shows: int, offered: int) -> None:
    """Summary rows for last month and the month before (as the refresh would write them)."""
    period = period_named("vorige-maand", timezone.localdate())
    for day, share in ((period.first + timedelta(days=2), 1.0), (period.previous_first, 0.5)):
        for metric, dimension, value in (
            ("consults", "Consult", consults),
            ("no_shows", "", no_shows),
            ("bookings", "online", consults // 2),
            ("bookings", "telefoon", consults - consults // 2),
            ("calls_offered", "", offered),
            ("calls_abandoned", "", offered // 10),
            ("declared", "12011", consults),
        ):
            DailyFigure.objects.create(
                practice=practice,
                day=day,
                metric=metric,
                dimension=dimension,
                value=int(value * share),
            )
    refresh_figures(
        practice_ids=[practice.pk], first=timezone.localdate(), last=timezone.localdate()
    )


def test_the_manager_reads_and_discusses_the_figures(ui: UI, practice: Practice) -> None:
    figures(practice, consults=120, no_shows=8, offered=400)
    year = period_named("vorige-maand", timezone.localdate()).first.year
    Tariff.objects.create(
        practice=practice, year=year, code="12011", description="Consult", amount="12.43"
    )
    manager = staff(practice, StaffRole.PRAKTIJKMANAGER, "Mira Manager")
    page = ui.page
    page.set_viewport_size(PHONE)
    log_in(ui, manager)
    ui.goto("/start/")
    ui.submit(nav(page, "Dashboard"))
    table = page.get_by_role("region", name=re.compile("^Tabel met de cijfers van"))
    consults = table.get_by_role("row", name=re.compile("^Consulten gehouden"))
    expect(consults).to_contain_text("120")
    expect(consults).to_contain_text("60")  # the month before
    expect(consults).to_contain_text("+100,0%")
    expect(table.get_by_role("row", name=re.compile("^Niet verschenen"))).to_contain_text("6,2%")
    expect(table.get_by_role("row", name=re.compile("^Omzet"))).to_contain_text("€ 1.492")
    expect(page.get_by_text(re.compile("Cijfers bijgewerkt op"))).to_be_visible()
    both_widths(ui, "dashboard-manager")
    # A chart's numbers: its table opens beside it.
    page.get_by_text("Tabel: Consulten per maand").click()
    expect(page.get_by_role("region", name="Tabel: Consulten per maand")).to_contain_text("120")
    ui.check_page()
    page.get_by_label("Periode").select_option("vorig-kwartaal")
    ui.submit(page.get_by_role("button", name="Tonen"))
    assert "periode=vorig-kwartaal" in page.url
    # Odd dates are answered in Dutch, on the page.
    page.get_by_label("Of van").fill("2026-05-01")
    ui.submit(page.get_by_role("button", name="Tonen"))
    expect(page.get_by_text("Vul beide datums in, of geen van beide.")).to_be_visible()
    # The monthly review: what stood out, and what the team agrees.
    ui.goto("/dashboard/")
    ui.submit(page.get_by_role("link", name="Maandbespreking"))
    expect(page.get_by_role("heading", name=re.compile("^Wat opvalt in"))).to_be_visible()
    page.get_by_label("Wat viel op?").fill("Veel meer consulten dan de maand ervoor.")
    page.get_by_role("textbox", name=re.compile("^Afspraken")).fill(
        "Extra assistente op maandag; over een maand kijken."
    )
    ui.submit(page.get_by_role("button", name="Opslaan"))
    expect(page.get_by_text("De maandbespreking is opgeslagen.")).to_be_visible()
    assert MonthlyReview.objects.get().actions.startswith("Extra assistente")
    both_widths(ui, "dashboard-monthly-review")
    # The tariff table.
    ui.goto("/beheer/tarieven/")
    page.get_by_label("Prestatiecode").fill("12001")
    page.get_by_label("Omschrijving").fill("Consult 20 minuten en langer")
    page.get_by_label("Tarief (euro)").fill("24,85")
    ui.submit(page.get_by_role("button", name="Opslaan"))
    expect(page.get_by_text(re.compile("12001 Consult 20 minuten en langer"))).to_be_visible()
    both_widths(ui, "dashboard-tariffs")


def test_a_gp_reads_and_an_assistant_is_refused(ui: UI, practice: Practice) -> None:
    figures(practice, consults=40, no_shows=2, offered=100)
    page = ui.page
    page.set_viewport_size(PHONE)
    log_in(ui, staff(practice, StaffRole.ASSISTENT, "Anna Assistent"))
    ui.goto("/start/")
    expect(nav(page, "Dashboard")).to_have_count(0)
    ui.goto("/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Geen toegang")
    assert ui.console_errors == [FORBIDDEN]
    ui.console_errors.clear()


def test_the_care_group_sees_the_region_with_small_counts_hidden(
    ui: UI, practice: Practice
) -> None:
    small = PracticeFactory(slug="klein", name="Praktijk Klein")
    middle = PracticeFactory(slug="midden", name="Praktijk Midden")
    figures(practice, consults=120, no_shows=8, offered=400)
    figures(small, consults=6, no_shows=1, offered=30)
    figures(middle, consults=45, no_shows=3, offered=150)
    region = set_up_region(
        slug="west", name="Zorggroep West", practice_slugs=["de-linde", "klein", "midden"]
    )
    analyst = UserFactory(full_name="Rik Analist")
    add_region_analyst(region=region, user=analyst)
    page = ui.page
    page.set_viewport_size(PHONE)
    log_in(ui, analyst)
    ui.goto("/start/")
    ui.submit(nav(page, "Regio"))
    table = page.get_by_role("region", name="Tabel met de cijfers van Zorggroep West")
    klein = table.get_by_role("row", name=re.compile("^Praktijk Klein"))
    expect(klein).to_contain_text("<10")
    expect(table.get_by_role("row", name=re.compile("^Zorggroep West"))).to_contain_text("171")
    both_widths(ui, "dashboard-region")
    for path in ("/dashboard/", "/patienten/", "/terugbellen/"):
        ui.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text("Geen toegang")
        assert ui.console_errors == [FORBIDDEN]
        ui.console_errors.clear()
