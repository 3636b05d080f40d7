"""The signed audit head's document format (``audit-head/1``): its name, file suffix and the
canonical bytes its signature covers.

Shared by the app, which signs and checks heads (services.audit_head), and the reference
issuer, which remembers the heads it is shown (sync.reference_issuer.heads)::

    {"format": "audit-head/1", "entry": 1234, "hash": "<sha-256 hex of entry 1234>", ...,
     "signature": "<base64 Ed25519 over the canonical bytes of every other field>"}
"""

from __future__ import annotations

import json
from typing import Any

HEAD_FORMAT = "audit-head/1"
HEAD_SUFFIX = ".audit-head.json"


def head_message(document: dict[str, Any]) -> bytes:
    """What the signature covers: every field but ``signature``, as sorted compact UTF-8 JSON."""
    body = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
