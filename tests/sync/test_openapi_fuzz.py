"""Schemathesis against the running reference issuer: requests generated from
``reviewer_app/sync/openapi.yaml`` (valid ones, and invalid ones: numbers out of bounds,
wrong types, missing fields) over loopback HTTP. Every answer must be one the document
lists, with the documented schema and headers, and never a 5xx.

Two checks are deliberately left out. That every invalid *decision* is refused with a
4xx: the API answers per decision, inside a 200 (``rejected`` with a reason), so that one
bad decision never holds back the batch (see the document's description). And that every
request valid by the schema is accepted: a sign-in with a made-up password or refresh
token is well formed, and OAuth 2 answers it 400 ``invalid_grant`` (RFC 6749, 5.2)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import keyring
import pytest
import schemathesis
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from reviewer_app.sync.reference_issuer.server import IssuerConfig, IssuerServer

from support import PASSWORD, USER
from sync_test_keyring import MemoryKeyring

SPEC_PATH = Path(__file__).resolve().parents[2] / "reviewer_app" / "sync" / "openapi.yaml"

CONFIG = schemathesis.Config.from_dict({
    "generation": {
        "mode": "all",
        # Bounded: the whole run takes well under a minute on a loaded 2-core machine.
        "max-examples": 30,
        "deterministic": True,
        "database": "none",
    },
})
schema = schemathesis.openapi.from_path(SPEC_PATH, config=CONFIG)


@pytest.fixture(scope="module")
def live_issuer(tmp_path_factory: pytest.TempPathFactory,
                demo_packages: list[Path]) -> Iterator[tuple[IssuerServer, dict[str, str]]]:
    """The reference issuer on loopback, with one package assigned, and a valid token."""
    folder = tmp_path_factory.mktemp("fuzz-issuer")
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())  # its signing key (before the tests' own keyrings)
    try:
        server = IssuerServer(IssuerConfig(folder, users=[(USER, PASSWORD)])).start()
    finally:
        keyring.set_keyring(previous)
    try:
        server.store.add_package(demo_packages[0].read_bytes(), USER)
        with httpx.Client(base_url=f"{server.url}/api/v1") as client:
            tokens = client.post("/auth/token", json={"grant_type": "password", "username": USER,
                                                     "password": PASSWORD}).json()
        yield server, {"Authorization": f"Bearer {tokens['access_token']}"}
    finally:
        server.stop()


@pytest.mark.slow  # generated requests: a fuzzing run
@schema.parametrize()
def test_the_reference_issuer_answers_only_what_the_document_says(case, live_issuer):
    server, auth = live_issuer
    headers = auth if case.operation.security else None  # (Schemathesis also sends none)
    case.call_and_validate(base_url=f"{server.url}/api/v1", headers=headers,
                           excluded_checks=[negative_data_rejection, positive_data_acceptance])
