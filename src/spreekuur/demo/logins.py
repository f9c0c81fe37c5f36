"""The demo logins' shared secrets (demo only: printed by load_demo and in the README)."""

DEMO_PASSWORD = "Spreekuur-demo-2026"  # noqa: S105 (demo only: printed and in the README)
# One authenticator secret for every demo login (demo only), so one app entry serves all.
DEMO_TOTP_HEX = (
    "3132333435363738393031323334353637383930"  # base32: GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
)
DEMO_TOTP_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
