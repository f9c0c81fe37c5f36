"""Every web worker imports the whole URLconf, and so every module a view module imports at
its top. The big libraries that only some requests need (the FAQ assistant's BM25, FHIR
validation, the record's PDF, HEIC photos, calls to a pharmacy) are imported where they
are used, which keeps a worker under bench/run.py's 150 MB. This test keeps them out: a
top-level import that brings one back fails here, not weeks later in the benchmark.

holidays is not in the list: the opening hours on nearly every page need it anyway.
pydantic neither: the questionnaires' own models and the telephony webhook use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = ("bm25s", "numpy", "reportlab", "PIL", "pillow_heif", "httpx", "rich", "fhir.resources")

# Paths of the pages the benchmark serves, and of the views that use the libraries.
PATHS = (
    "/healthz",
    "/p/de-linde/",
    "/account/inloggen/",
    "/start/",
    "/patienten/",
    "/mijn-dossier/dossier.pdf",
    "/econsult/nieuw/",
    "/vraag-het-de-praktijk/",
    "/herhaalrecepten/",
    "/api/apotheek/uitgifte/",
)

SCRIPT = f"""
import json, sys
import django
django.setup()
import spreekuur.urls
from django.urls import resolve
for path in {PATHS!r}:
    resolve(path)
heavy = {HEAVY!r}
print(json.dumps(sorted(
    name for name in sys.modules if any(name == h or name.startswith(h + ".") for h in heavy)
)))
"""


def test_the_urlconf_leaves_the_heavy_libraries_out() -> None:
    # A fresh interpreter: this test process has imported all of them already.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "spreekuur.settings"}
    result = subprocess.run(  # noqa: S603 - the arguments are this file's own
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    tops = sorted({next(h for h in HEAVY if n == h or n.startswith(h + ".")) for n in loaded})
    assert not loaded, (
        f"imported at URLconf time: {tops}; import them inside the function that needs them "
        "(`python -X importtime -c 'import django; django.setup(); import spreekuur.urls'` "
        "shows which module brings them in)"
    )
