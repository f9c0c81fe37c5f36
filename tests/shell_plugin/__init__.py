"""A made-up app that plugs into the shell only through its own AppConfig (tests/settings.py
installs it), to prove that a new feature needs no edit in core or the shell."""
