"""Fixtures the shell's tests share with the apps whose work the start pages count."""

from tests.prescriptions.conftest import repeats  # noqa: F401 (a fixture)
