"""The test settings: the product's own, plus a made-up app that plugs into the shell
(tests/shell_plugin) to prove that a new app needs no edit outside itself."""

from spreekuur.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.shell_plugin"]  # noqa: F405
