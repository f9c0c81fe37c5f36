"""The practice's phone line: call events from the telephony platform (webhook), the phone
menu and callback settings, the callback queue for the assistants, the exchange's call
report (CSV import) and the call load per weekday and hour."""
