"""The management dashboard: the practice's figures per period against the period
before, a monthly review for the team, and the care group's anonymised regional view, all
read from daily summary rows that background tasks refresh."""
