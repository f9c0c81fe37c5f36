import contextlib
import os

from django.core.wsgi import get_wsgi_application
from django.db import DatabaseError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spreekuur.settings")
application = get_wsgi_application()

from spreekuur.core.audit import check_chain_key  # noqa: E402 (needs the apps loaded)

# A wrong AUDIT_CHAIN_KEY stops the server here, before it serves anything. Without a
# database (or before migrating) it is checked again before the first entry is written.
with contextlib.suppress(DatabaseError):
    check_chain_key()
