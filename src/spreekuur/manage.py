"""The `spreekuur` console command: everything `manage.py` does."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spreekuur.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["spreekuur", *sys.argv[1:]])


if __name__ == "__main__":
    # Run as a script, Python puts this folder first on the path, where the app folder
    # `fhir` would hide the `fhir.resources` library: import from the installed package.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != here]
    main()
