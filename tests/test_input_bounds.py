"""Every text field of every form has a maximum length: nothing a person types is stored,
logged or processed without a bound (the request as a whole is bounded by
DATA_UPLOAD_MAX_MEMORY_SIZE and MAX_REQUEST_BYTES; see tests/core/test_middleware.py).
A new form with an unbounded field fails here."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from django import forms

import spreekuur

_SCRIPTS = (".__main__", ".manage", ".wsgi")  # they run something when imported


def _form_classes() -> list[type[forms.BaseForm]]:
    found = []
    for module_info in pkgutil.walk_packages(spreekuur.__path__, "spreekuur."):
        name = module_info.name
        if ".migrations" in name or ".management" in name or name.endswith(_SCRIPTS):
            continue
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, forms.BaseForm)
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return found


def _unbounded(form_class: type[forms.BaseForm]) -> list[str]:
    return [
        f"{form_class.__module__}.{form_class.__name__}.{name}"
        for name, field in form_class.base_fields.items()
        # A UUID is parsed, never stored as typed; every other text field needs a bound.
        if isinstance(field, forms.CharField)
        and not isinstance(field, forms.UUIDField)
        and field.max_length is None
    ]


def test_there_are_forms_to_check() -> None:
    assert len(_form_classes()) > 40


def test_every_text_field_of_every_form_has_a_maximum_length() -> None:
    unbounded = [name for form_class in _form_classes() for name in _unbounded(form_class)]
    assert not unbounded, unbounded


def test_the_bound_reaches_the_browser_too() -> None:
    """Django writes max_length into the input's maxlength: the phone stops typing there."""
    from spreekuur.dossier.forms import SoepForm

    html = str(SoepForm()["subjective"])
    assert 'maxlength="10000"' in html
