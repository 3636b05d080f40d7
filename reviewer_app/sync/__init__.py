"""Sync with the badge issuer: the outbox, the issuer client and adapters, the reference issuer. No Qt."""
