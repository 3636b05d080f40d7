"""Sync with the badge issuer: the outbox, the issuer client and adapters, the reference issuer. No Qt.

* ``outbox``: submitted decisions, queued in the submit transaction, delivered exactly once
  (the entry's uid is the idempotency key), with backoff and jitter stored in the row;
* ``engine``: one sync pass (push the outbox in batches, then pull assigned packages), a
  ``reviewer_app.jobs.Job`` for progress and cancel;
* ``service``: what the window and the CLI call (status, sync, outbox, profiles, sign-in,
  Open Badges export);
* ``client`` (HTTP rules: TLS verified, http only to this machine), ``secrets`` (tokens in the
  OS keyring only), ``profiles`` (issuer profiles in the app's database), ``downloads``
  (resumable package downloads), ``adapters`` (``reference``: the API in ``openapi.yaml``;
  ``badgr``: Badgr v2), ``ob3`` (Open Badges 3.0 credentials);
* ``reference_issuer``: a real HTTP server implementing ``openapi.yaml``, with fault injection.
"""
