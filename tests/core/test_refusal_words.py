"""What a reviewer reads when a package is refused: the whole first line, the package
with no evidence, and a disk too full for the evidence. Every refusal in
``test_import_refusals`` is also held to the same rules (``refusal_support.refused``):
one line, the reviewer's words, what to do, the technical reason in the details."""

from __future__ import annotations

import json
import os
import shutil

from refusal_support import PDF, VIDEO, bad, ctx, refused, seeded  # noqa: F401 - fixtures


def test_refusal_first_line_as_a_reviewer_reads_it(refused, tmp_path):
    """The whole first line for a damaged lesson plan; the technical reason is the detail."""
    def tamper(files: dict[str, bytes]) -> None:
        files[PDF] = files[PDF][:100] + bytes([files[PDF][100] ^ 0x20]) + files[PDF][101:]
    pkg = bad(tmp_path, mutate_files=tamper)
    message = refused(pkg.path, PDF, "SHA-256", "does not match")
    assert message == ("bad.zip: the document \u201cLesson plan\u201d in it is damaged, so nothing "
                       "from the package was imported. Ask the sender for a new copy of the package.")


def test_package_with_no_evidence(refused, tmp_path):
    """A package that would import and could be scored with nothing to look at."""
    pkg = bad(tmp_path, evidence=[])
    refused(pkg.path, "manifest.json", "no evidence",
            says=("holds no evidence to review", "Ask the sender for a package with the evidence in it"))


def test_not_enough_disk_space(refused, ctx, tmp_path):
    """A folder package whose video (a sparse file: no blocks on disk) is 2 GB more than
    the data folder's disk has free: refused before a byte is copied, saying how much."""
    pkg = bad(tmp_path, as_zip=False)
    free = shutil.disk_usage(ctx.evidence.root).free
    size = free + 2 * 1000**3
    os.truncate(pkg.path / VIDEO, size)
    manifest = json.loads((pkg.path / "manifest.json").read_bytes())
    manifest["evidence"][0].update(size=size, sha256="ab" * 32)  # a blob the store lacks
    (pkg.path / "manifest.json").write_text(json.dumps(manifest))
    message = refused(pkg.path, "not enough disk space", "bytes", "are free in",
                      says=("there is not enough free disk space to import the package",
                            "Free up space, then import it again"))
    needed, free_now = (float(part.split()[0].replace(",", ""))
                        for part in message.split("(")[1].split(")")[0].split(", "))
    assert abs(free_now - free / 1000**3) < 1.0  # the disk's free space, in GB
    assert needed >= (size + 64 * 1024**2) / 1000**3 - 0.05  # the video and the safety margin
