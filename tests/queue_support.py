"""A queue of many attempts, made in SQL in a second or two (tests of the queue's speed)."""

from __future__ import annotations

from sqlalchemy import text

from reviewer_app.store.context import AppContext


def add_bulk_attempts(ctx: AppContext, n: int) -> None:
    """``n`` submissions ``BULK-000000``... of one attempt each, status new, over the demo's
    credentials, spread over a year; the search index's triggers see them as any insert."""
    with ctx.transaction() as s:
        base_sub = s.scalar(text("SELECT coalesce(max(id), 0) FROM submission"))
        base_att = s.scalar(text("SELECT coalesce(max(id), 0) FROM attempt"))
        creds = s.execute(text("SELECT credential_id, min(rubric_id) FROM attempt "
                               "GROUP BY credential_id ORDER BY credential_id")).all()
        s.execute(text("CREATE TEMP TABLE bulk_cred (k INTEGER PRIMARY KEY, id INTEGER, rubric INTEGER)"))
        s.execute(text("INSERT INTO bulk_cred VALUES (:k, :id, :r)"),
                  [{"k": k, "id": c, "r": r} for k, (c, r) in enumerate(creds)])
        s.execute(text(
            "INSERT INTO submission (id, key, credential_key, candidate_key) "
            "WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n + 1 < :n) "
            "SELECT :s + n + 1, printf('BULK-%06d', n), 'bulk', 'cand-' || n FROM i"),
            {"n": n, "s": base_sub})
        s.execute(text(
            "INSERT INTO attempt (id, submission_id, number, credential_id, rubric_id, submitted_at, "
            "imported_at, manifest_sha256, manifest_json, queue_status, evidence_count, has_draft) "
            "WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n + 1 < :n) "
            "SELECT :a + n + 1, :s + n + 1, 1, c.id, c.rubric, "
            "strftime('%Y-%m-%d %H:%M:%S', '2025-01-01', '+' || ((n * 7919) % 525600) || ' minutes')"
            " || '.000000', "
            "'2025-01-01 00:00:00.000000', '', '{}', 'new', 1, 0 "
            "FROM i JOIN bulk_cred c ON c.k = n % (SELECT count(*) FROM bulk_cred)"),
            {"n": n, "s": base_sub, "a": base_att})
        s.execute(text("DROP TABLE bulk_cred"))
