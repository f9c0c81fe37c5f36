"""Emergency advice that knows the time: 112 first, then the practice's urgent line while it
is open or the huisartsenpost while it is closed, then 113, then the other number; every
number a tel: link (core/templatetags/emergency.py, components/emergency.html)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from spreekuur.core.models import OpeningException, Practice
from spreekuur.core.templatetags.emergency import emergency_advice_at, tel_href
from tests.factories import PracticeFactory

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = date(2026, 11, 23)  # an ordinary Monday; the factory's practice: weekdays 8-17


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=AMS)


def open_around_the_clock(practice: Practice) -> None:
    """Open all of yesterday, today and tomorrow (an exception wins over a holiday)."""
    today = timezone.localdate()
    for offset in (-1, 0, 1):
        OpeningException.objects.create(
            practice=practice,
            date=today + timedelta(days=offset),
            closed=False,
            opens=time(0),
            closes=time(0),  # not after opening: runs to midnight
        )


def closed_all_week(practice: Practice) -> None:
    practice.opening_hours.all().delete()


def tel_links(html: str) -> list[str]:
    return re.findall(r'href="(tel:[^"]*)"', html)


def render(practice: Practice | None, moment: datetime, variant: str = "card") -> str:
    template = Template(
        "{% load emergency %}{% emergency_numbers practice variant=variant now=moment %}"
    )
    return template.render(Context({"practice": practice, "moment": moment, "variant": variant}))


# --- tel: links -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "href"),
    [
        ("112", "tel:112"),
        ("0345-200001", "tel:0345200001"),
        ("0345 - 20 00 01", "tel:0345200001"),
        ("(0345) 200001", "tel:0345200001"),
        ("+31 (0)345 200 001", "tel:+31345200001"),
        ("+31 345-200001", "tel:+31345200001"),
        ("0800-0113", "tel:08000113"),
    ],
)
def test_a_number_becomes_a_tel_link_with_only_what_is_dialled(written: str, href: str) -> None:
    assert tel_href(written) == href


# --- the order ------------------------------------------------------------------------------


def test_while_open_the_practice_line_comes_right_after_112() -> None:
    practice = PracticeFactory()
    advice = emergency_advice_at(practice, now=at(MONDAY, 10))
    assert advice.practice_open
    assert [number.href for number in advice.numbers] == [
        "tel:112",
        "tel:0107654321",  # the practice's urgent line (010-7654321)
        "tel:113",
        "tel:08000113",
        "tel:09001111111",  # the huisartsenpost, for later
    ]


@pytest.mark.parametrize(
    "moment",
    [
        at(MONDAY, 7, 59),  # before opening
        at(MONDAY, 17),  # closing time
        at(MONDAY, 23),  # evening
        at(MONDAY + timedelta(days=5), 11),  # Saturday
        at(date(2026, 12, 25), 10),  # Christmas, a Friday
    ],
)
def test_while_closed_the_huisartsenpost_comes_right_after_112(moment: datetime) -> None:
    practice = PracticeFactory()
    advice = emergency_advice_at(practice, now=moment)
    assert not advice.practice_open
    assert [number.href for number in advice.numbers] == [
        "tel:112",
        "tel:09001111111",
        "tel:113",
        "tel:08000113",
        "tel:0107654321",
    ]


def test_an_exception_day_closes_the_practice_for_the_advice() -> None:
    practice = PracticeFactory()
    OpeningException.objects.create(practice=practice, date=MONDAY, reason="Scholing")
    advice = emergency_advice_at(practice, now=at(MONDAY, 10))
    assert not advice.practice_open
    assert advice.next_opening == at(MONDAY + timedelta(days=1), 8)


def test_without_a_practice_only_112_and_113() -> None:
    advice = emergency_advice_at(None, now=at(MONDAY, 10))
    assert [number.href for number in advice.numbers] == ["tel:112", "tel:113", "tel:08000113"]


# --- the component --------------------------------------------------------------------------


def test_the_component_orders_its_tel_links_by_the_hour() -> None:
    practice = PracticeFactory()
    opened = render(practice, at(MONDAY, 10))
    closed = render(practice, at(MONDAY, 20))
    assert tel_links(opened) == [
        "tel:112",
        "tel:0107654321",
        "tel:113",
        "tel:08000113",
        "tel:09001111111",
    ]
    assert tel_links(closed) == [
        "tel:112",
        "tel:09001111111",
        "tel:113",
        "tel:08000113",
        "tel:0107654321",
    ]
    assert "De praktijk is open tot 17:00 uur." in opened
    assert "De praktijk is nu gesloten." in closed
    assert "Huisartsenpost Test" in closed
    assert "Weer open op dinsdag 24 november om 08:00 uur." in closed
    assert "113 Zelfmoordpreventie" in closed


def test_the_stop_variant_makes_the_number_to_call_now_a_button() -> None:
    practice = PracticeFactory()
    closed = render(practice, at(MONDAY, 20), variant="stop")
    button = re.search(r'<a class="utrecht-button-link[^"]*" href="([^"]+)">([^<]+)', closed)
    assert button is not None
    assert button.groups() == ("tel:09001111111", "Bel Huisartsenpost Test: ")
    assert tel_links(closed).count("tel:09001111111") == 1  # not again in the list


def test_an_unknown_variant_is_a_template_error() -> None:
    from django.template import TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError):
        render(PracticeFactory(), at(MONDAY, 10), variant="poster")


# --- the pages ------------------------------------------------------------------------------


def test_the_public_practice_page_and_its_footer_put_the_huisartsenpost_first_when_closed(
    client: Client,
) -> None:
    practice = PracticeFactory(slug="de-els")
    closed_all_week(practice)
    html = client.get(reverse("practice:practice_page", args=["de-els"])).content.decode()
    spoed = html[html.index('id="spoed-kop"') : html.index('id="open-kop"')]
    assert tel_links(spoed)[:2] == ["tel:112", "tel:09001111111"]
    footer = html[html.index("<footer") :]
    assert tel_links(footer)[:2] == ["tel:112", "tel:09001111111"]
    assert "tel:113" in tel_links(footer)


def test_the_public_practice_page_puts_the_urgent_line_first_when_open(client: Client) -> None:
    practice = PracticeFactory(slug="de-els")
    open_around_the_clock(practice)
    html = client.get(reverse("practice:practice_page", args=["de-els"])).content.decode()
    spoed = html[html.index('id="spoed-kop"') : html.index('id="open-kop"')]
    assert tel_links(spoed)[:2] == ["tel:112", "tel:0107654321"]
    assert 'href="tel:0101234567"' in html  # the main number, normalised too
