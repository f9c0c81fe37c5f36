"""The test settings: the product's own, plus a made-up app that plugs into the shell
(tests/shell_plugin) to prove that a new app needs no edit outside itself."""

from spreekuur.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.shell_plugin"]  # noqa: F405

# Tasks run as soon as they are enqueued (after the test's captured commit), so a notice
# leaves the outbox as it would within seconds in production; tests of the worker itself
# switch back to the database backend.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
