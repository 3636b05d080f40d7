"""The independent verifier (tests/sync/verifier: the Digital Credentials Consortium's
JavaScript libraries, run with Node, offline), for the tests (a module, not a test file)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

VERIFIER = Path(__file__).resolve().parent / "verifier"


def need_verifier() -> str:
    """The node binary, once the verifier's packages are installed; otherwise skip (fail in CI)."""
    node = shutil.which("node")
    missing = None
    if node is None:
        missing = "node is not installed (Node.js 20 or newer runs the independent verifier)"
    elif not (VERIFIER / "node_modules" / "@digitalcredentials" / "vc").is_dir():
        missing = f"the verifier's packages are not installed: run 'npm ci' in {VERIFIER}"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)  # never a silent skip in CI
        pytest.skip(missing)
    return node


def verify(credentials: dict[str, dict], tmp_path: Path, *,
           did_documents: list[dict] = ()) -> dict[str, dict]:
    """Verify each credential (by name); returns name -> {"verified", "errors"}."""
    node = need_verifier()
    folder = tmp_path / "to-verify"
    folder.mkdir(exist_ok=True)
    args = []
    for name, credential in credentials.items():
        (folder / f"{name}.json").write_text(json.dumps(credential))
        args.append(str(folder / f"{name}.json"))
    for i, document in enumerate(did_documents):
        (folder / f"did-{i}.json").write_text(json.dumps(document))
        args += ["--did-document", str(folder / f"did-{i}.json")]
    # Offline: remote contexts are off in verify.mjs, and the did:web documents come from
    # these files (the tests' domains are *.example, which resolve nowhere).
    done = subprocess.run([node, "verify.mjs", *args], cwd=VERIFIER, capture_output=True, text=True,
                          timeout=120, check=False)
    results = {}
    for line in done.stdout.splitlines():
        row = json.loads(line)
        results[Path(row["file"]).stem] = row
    assert set(results) == set(credentials), done.stderr
    assert done.returncode == (0 if all(r["verified"] for r in results.values()) else 1), done.stderr
    return results
