"""The practice's roster: shifts per dagdeel for every staff member, leave (the agenda's
absences), the assistants the phone line needs per hour (Erlang C on the call load), a
planner for the quietest blocks, and the consultation production per dagdeel."""
