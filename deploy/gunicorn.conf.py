"""gunicorn for Spreekuur: the server the benchmarks measure (bench/booking.py), as a file.

    gunicorn -c deploy/gunicorn.conf.py

Every value can be changed without editing this file, through the environment
(GUNICORN_*), or on the command line (gunicorn gives the command line the last word).
Why these values:

- Sync workers, twice the cores. A Spreekuur request is short and talks to PostgreSQL
  (and the audit chain) for part of its time; while one worker waits on the database,
  another uses the core. On the benchmark machine (2 cores) that is 4 sync workers, the
  BENCH_GUNICORN_WORKERS=4 / BENCH_GUNICORN_THREADS=1 of bench/booking.py, with which
  the booking storm and the mixed portal load ran (BENCHMARKS.md). More workers than
  that only queue on the same cores and on the same chain-row lock, and each one holds
  a PostgreSQL connection (CONN_MAX_AGE=60) and about 100 MB.
- Threads stay 1 (sync). Threads (gthread) help when requests wait on something other
  than the database; Spreekuur's slow calls (pharmacy, mail, SMS) are in the worker
  (`spreekuur worker`), never in a request. Try GUNICORN_THREADS=2 and measure with
  `BENCH_GUNICORN_THREADS=2 python bench/booking.py` before using it.
- No preload: wsgi.py checks the audit key against the database at import; a connection
  opened in the master would be shared by every forked worker.
"""

from __future__ import annotations

import os

_CORES = os.cpu_count() or 1

wsgi_app = "spreekuur.wsgi"
# Behind the reverse proxy on the same machine (deploy/caddy/Caddyfile); never public.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * _CORES)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))  # more than 1 switches to gthread

# As the benchmarks: a request that takes a minute is a bug; the worker is replaced.
# (The slowest legitimate request is a 64 MB upload on a slow line; the proxy buffers
# nothing for us, so a phone upload of three photos must fit in this as well.)
timeout = 60
# On restart or reload a worker may finish its request for this long (bench: 10 s).
graceful_timeout = 10
# Not in the benchmarks: each worker is replaced after about this many requests (the
# jitter keeps the four from restarting together), so slow growth of a worker's memory
# (bench target: under 150 MB) never accumulates. 2,000 is far more than a storm
# round gives one worker (about 300), so the benchmark figures hold with it.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))

# The access log in the format bench/booking.py reads (server_times): method, path
# without the query string, status, microseconds in the worker; four fields. No client
# address and no query string: the audit log records who and from where (NEN 7513),
# and a query can carry a search term. Paths carry public UUIDs only (DESIGN.md §3.6).
# To standard output: journald adds the time of each line.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = "%(m)s %(U)s %(s)s %(D)s"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# X-Forwarded-Proto is believed only from the proxy on this machine (Django itself
# reads it through SECURE_PROXY_SSL_HEADER; the client address through TRUSTED_PROXIES).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# The workers' heartbeat files in memory: a slow disk (a backup running) must not make
# the master think a worker hangs.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
proc_name = "spreekuur-web"
# gunicorn 25+ opens a control socket in $XDG_RUNTIME_DIR or ~/.gunicorn by default; two
# instances on one machine would share that path, and systemd's ProtectHome hides the
# home folder. Reload and stop go through systemd (HUP, TERM) instead.
control_socket_disable = True
