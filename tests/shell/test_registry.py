"""The shell shows what apps contribute: a made-up app (tests/shell_plugin, installed by
tests/settings.py) adds a menu entry, a start-page tile and a work-queue counter without
an edit anywhere else."""

from __future__ import annotations

from django.urls import reverse

from spreekuur.core.registry import Audience
from spreekuur.shell import registry
from tests.conftest import Cast, verified_client


def test_a_plugged_in_app_adds_menu_entry_tile_and_counter_to_the_staff_start_page(
    cast: Cast, settings
) -> None:
    settings.SHELL_PLUGIN_ON = True
    client = verified_client(cast.assistant_a)
    page = client.get(reverse("shell:start")).content.decode()
    assert 'href="/inventaris/"' in page
    assert "Voorraad per kast, met QR-codes." in page  # the tile
    assert "7 artikelen bijna op" in page  # the counter
    assert client.get("/inventaris/").status_code == 200


def test_the_plugged_in_entries_follow_their_own_visibility(cast: Cast, settings) -> None:
    settings.SHELL_PLUGIN_ON = False
    page = verified_client(cast.assistant_a).get(reverse("shell:start")).content.decode()
    assert "/inventaris/" not in page
    assert "artikelen bijna op" not in page
    settings.SHELL_PLUGIN_ON = True
    patient_page = verified_client(cast.patient_user_a).get(reverse("shell:start")).content.decode()
    assert "/inventaris/" not in patient_page  # a staff entry never reaches a patient


def test_every_app_declares_its_urls_and_the_site_includes_them_in_app_order() -> None:
    modules = [module for _prefix, module in registry.url_includes()]
    assert modules.index("spreekuur.accounts.urls") < modules.index("spreekuur.econsult.urls")
    assert "tests.shell_plugin.urls" in modules


def test_menu_entries_of_each_audience_reverse_and_are_ordered() -> None:
    for audience in Audience:
        entries = [entry for entry in registry.navigation() if entry.audience == audience]
        assert entries[0].url_name == "shell:start"
        assert entries[-1].url_name == "accounts:security"
        for entry in entries:
            reverse(entry.url_name)
