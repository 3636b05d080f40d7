"""The issuer API document is valid OpenAPI, matches the reference issuer's routes, and the
reference issuer's answers match the documented schemas."""

from __future__ import annotations

from pathlib import Path

import httpx
import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate
from starlette.routing import Route

from reviewer_app.sync.reference_issuer.server import IssuerServer

from support import PASSWORD, USER, assign_on_issuer

SPEC_PATH = Path(__file__).resolve().parents[2] / "reviewer_app" / "sync" / "openapi.yaml"


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text())


def _check(spec: dict, schema_name: str, instance: object) -> None:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    jsonschema.Draft202012Validator(schema).validate(instance)


def test_the_document_is_valid_openapi_3(spec: dict):
    validate(spec)
    assert spec["openapi"].startswith("3.")


def test_every_route_of_the_reference_issuer_is_documented_and_no_more(spec: dict, issuer: IssuerServer):
    starlette_app = issuer.app.app
    served = set()
    for route in starlette_app.routes:
        if isinstance(route, Route) and route.path.startswith("/api/v1/"):
            for method in route.methods:
                served.add((route.path.removeprefix("/api/v1"), method.lower()))
    documented = {(path, method) for path, ops in spec["paths"].items()
                  for method in ops if method in {"get", "head", "post", "put", "delete", "patch"}}
    assert served == documented


def test_the_answers_match_the_documented_schemas(spec: dict, issuer: IssuerServer, demo_packages):
    issuer.store.add_package(demo_packages[0].read_bytes(), USER)
    assign_on_issuer(issuer, ["S-1"])
    with httpx.Client(base_url=f"{issuer.url}/api/v1") as client:
        tokens = client.post("/auth/token", json={"grant_type": "password", "username": USER,
                                                 "password": PASSWORD}).json()
        _check(spec, "Tokens", tokens)
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        page = client.get("/assignments", headers=auth, params={"limit": 1}).json()
        _check(spec, "AssignmentPage", page)
        assert page["has_more"] is True
        page2 = client.get("/assignments", headers=auth, params={"since": page["next_since"]}).json()
        _check(spec, "AssignmentPage", page2)
        assert [i["submission_id"] for i in page["items"] + page2["items"]] == ["DEMO-1001", "S-1"]
        decision = {"idempotency_key": "k-1", "submission_id": "S-1", "attempt": 1, "decision": "earned",
                    "criteria": [{"criterion_id": "c", "level": 3}]}
        _check(spec, "Decision", decision)
        results = client.post("/decisions", headers=auth, json={"decisions": [decision, decision,
                              {**decision, "idempotency_key": "k-2", "submission_id": "nope"}]}).json()
        for result in results["results"]:
            _check(spec, "DecisionResult", result)
        assert [r["status"] for r in results["results"]] == ["accepted", "duplicate", "rejected"]
        single = client.put("/decisions/k-1", headers=auth, json=decision).json()
        assert single["result"]["status"] == "duplicate"
        expired = client.get("/assignments", headers={"Authorization": "Bearer nonsense"})
        assert expired.status_code == 401
        _check(spec, "Error", expired.json())
        assert expired.headers["www-authenticate"].startswith("Bearer error=\"invalid_token\"")
        href = page["items"][0]["package"]["href"].removeprefix("/api/v1")
        head = client.head(href, headers=auth)
        assert head.headers["x-checksum-sha256"] == page["items"][0]["package"]["sha256"]
        part = client.get(href, headers={**auth, "Range": "bytes=10-19",
                                         "If-Range": head.headers["etag"]})
        assert part.status_code == 206 and len(part.content) == 10
        assert part.headers["content-range"].startswith("bytes 10-19/")
        whole = client.get(href, headers={**auth, "Range": "bytes=10-", "If-Range": '"other"'})
        assert whole.status_code == 200  # the package changed: the whole of it comes back
        beyond = client.get(href, headers={**auth, "Range": f"bytes={10**9}-"})
        assert beyond.status_code == 416
        # A HEAD ignores Range (defined for GET only): only the documented 200 comes back.
        head_range = client.head(href, headers={**auth, "Range": f"bytes={10**9}-"})
        assert head_range.status_code == 200 and "content-range" not in head_range.headers
        assert client.head("/assignments", headers=auth).status_code == 405  # not documented


def test_numbers_out_of_bounds_get_a_4xx_or_a_rejection_never_a_500(issuer: IssuerServer):
    with httpx.Client(base_url=f"{issuer.url}/api/v1") as client:
        tokens = client.post("/auth/token", json={"grant_type": "password", "username": USER,
                                                 "password": PASSWORD}).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        for query in ({"since": str(2**63)}, {"since": "-1"}, {"limit": "0"}, {"limit": "501"},
                      {"limit": "2.5"}, {"since": "\u0661"}):  # (an Arabic-Indic digit one)
            assert client.get("/assignments", headers=auth, params=query).status_code == 400, query
        for attempt in (str(2**63), str(2**64 + 1), "-1", "0", "1.5", "1e3"):
            path = f"/submissions/S-1/attempts/{attempt}/package"
            assert client.get(path, headers=auth).status_code == 404, attempt
            assert client.head(path, headers=auth).status_code == 404, attempt
        bad = [2**63, 2**31, -1, 0, 1.5, "1", True, None]
        decisions = [{"idempotency_key": f"k-{i}", "submission_id": "S-1", "attempt": attempt,
                      "decision": "earned"} for i, attempt in enumerate(bad)]
        reply = client.post("/decisions", headers=auth, json={"decisions": decisions})
        assert reply.status_code == 200
        results = reply.json()["results"]
        assert [r["status"] for r in results] == ["rejected"] * len(bad)
        assert all("attempt must be an integer from 1 to 2147483647" in r["reason"] for r in results)
        one = client.put("/decisions/k-x", headers=auth, json={**decisions[0], "attempt": 2**64})
        assert one.status_code == 200 and one.json()["result"]["status"] == "rejected"
        # Text no UTF-8 can carry (a lone surrogate, which JSON allows) is a 400, not a 500.
        surrogate = b'{"decisions": [{"idempotency_key": "\\ud800", "submission_id": "S-1"}]}'
        assert client.post("/decisions", headers={**auth, "Content-Type": "application/json"},
                           content=surrogate).status_code == 400
        assert client.post("/auth/token", headers={"Content-Type": "application/json"},
                           content=b'{"grant_type": "password", "username": "\\udfff"}').status_code == 400
        assert client.post("/auth/revoke", json={"token": 5}).status_code == 400
