"""Where a form may send the browser back to: a path on this site, nothing else."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def local_path(candidate: str | None) -> str:
    """`candidate` when it is a path of this site ("/agenda/?dag=…"), else "".

    A path only: no other host (an open redirect), and no bare word either, which
    Django's redirect() would take for a view name and fail on ("-1", "agenda")."""
    if not candidate or not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return ""
    return candidate if url_has_allowed_host_and_scheme(candidate, allowed_hosts=set()) else ""
