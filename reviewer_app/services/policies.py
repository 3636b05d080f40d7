"""A lead assessor's settings: each credential's policy (double scoring, disputes,
qualification) and blind review for this database.

Only a lead assessor may read or change a policy (its seed says which submissions the
random pick chooses, which reviewers must not know) or switch blind review. A
credential without a stored policy uses the defaults, a scoring centre's (NAEP, edTPA,
BloomBoard): 10% second-read at random (drawn with this database's own seed,
``services.draw_seed``), every review near the cut (a criterion within one
level of its required level) and each reviewer's first 5 reviews second-read; a split
decision or a criterion more than one level apart is a dispute; qualification after 3
calibration items at 80% exact agreement; final decisions held until the lead releases
them, 5% of them backread first.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer_app.domain.model import Role
from reviewer_app.domain.moderation import DEFAULT_THRESHOLD, DoubleScoring
from reviewer_app.errors import NotFound, UserError
from reviewer_app.services.draw_seed import database_seed, ensure_seed
from reviewer_app.services.roles import require_lead
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext
from reviewer_app.store.types import utcnow

BLIND_REVIEW = "blind_review"

DEFAULT_SECOND_PERCENT = 10
DEFAULT_NEAR_CUT = 1
DEFAULT_FIRST_REVIEWS = 5
DEFAULT_MAX_GAP = 1
DEFAULT_CALIBRATION_ITEMS = 3
DEFAULT_BACKREAD_PERCENT = 5
#: What a reviewer sees in place of the candidate's identity while blind review is on.
BLIND_CANDIDATE = "Candidate (blind)"


@dataclass(frozen=True)
class Policy:
    credential_key: str
    second_review_percent: int = DEFAULT_SECOND_PERCENT
    near_cut_margin: int | None = DEFAULT_NEAR_CUT  # None: off
    first_reviews: int = DEFAULT_FIRST_REVIEWS  # 0: off
    max_level_gap: int = DEFAULT_MAX_GAP
    calibration_threshold: float = DEFAULT_THRESHOLD
    calibration_items: int = DEFAULT_CALIBRATION_ITEMS
    hold_for_release: bool = True
    backread_percent: int = DEFAULT_BACKREAD_PERCENT
    seed: str = ""
    stored: bool = False  # False: no policy was set; these are the defaults
    updated_at: datetime | None = None

    @property
    def rule(self) -> DoubleScoring:
        return DoubleScoring(self.second_review_percent, self.near_cut_margin, self.first_reviews,
                             self.max_level_gap, self.seed)

    def describe(self) -> str:
        """One line: what this policy does."""
        parts = [f"second review: {self.second_review_percent}% at random"]
        if self.near_cut_margin is not None:
            parts.append(f"every one within {self.near_cut_margin} level"
                         f"{'s' if self.near_cut_margin != 1 else ''} of the cut")
        if self.first_reviews:
            parts.append(f"each reviewer's first {self.first_reviews}")
        gap = "any difference" if self.max_level_gap == 0 else \
            f"a gap over {self.max_level_gap} level{'s' if self.max_level_gap != 1 else ''}"
        hold = (f"held for release, {self.backread_percent}% backread first" if self.hold_for_release
                else "released when made")
        return (", ".join(parts) + f"; dispute on differing decisions or {gap}; qualified after "
                f"{self.calibration_items} calibration item{'s' if self.calibration_items != 1 else ''} "
                f"at {self.calibration_threshold:.0%} exact agreement; final decisions {hold}")


def _to_policy(row: m.CredentialPolicy) -> Policy:
    return Policy(row.credential_key, row.second_review_percent, row.near_cut_margin,
                  row.first_reviews, row.max_level_gap, row.calibration_threshold,
                  row.calibration_items, row.hold_for_release, row.backread_percent, row.seed,
                  True, row.updated_at)


def policy_for(session: Session, credential_key: str) -> Policy:
    """The credential's policy (the defaults when none is stored), in the caller's session."""
    row = session.get(m.CredentialPolicy, credential_key)
    return _to_policy(row) if row is not None else Policy(credential_key, seed=database_seed(session))


def _known_credential(session: Session, credential_key: str) -> None:
    if session.scalar(select(m.Credential.id).where(m.Credential.key == credential_key).limit(1)) is None:
        raise NotFound(f"No credential {credential_key!r} in this database.")


def get_policy(ctx: AppContext, credential_key: str) -> Policy:
    require_lead(ctx, "see a credential's policy")
    with ctx.sessions() as session:
        _known_credential(session, credential_key)
        return policy_for(session, credential_key)


def list_policies(ctx: AppContext) -> list[Policy]:
    """Every credential this database holds, with its policy (stored or default)."""
    require_lead(ctx, "see credential policies")
    with ctx.sessions() as session:
        keys = sorted(set(session.scalars(select(m.Credential.key))))
        return [policy_for(session, key) for key in keys]


_UNSET = object()


def set_policy(ctx: AppContext, credential_key: str, *, second_review_percent: int | None = None,
               near_cut_margin: int | None | object = _UNSET, first_reviews: int | None = None,
               max_level_gap: int | None = None, calibration_threshold: float | None = None,
               calibration_items: int | None = None, hold_for_release: bool | None = None,
               backread_percent: int | None = None, new_seed: bool = False) -> Policy:
    """Change a credential's policy (only what is given); ``near_cut_margin=None`` turns it off."""
    me = require_lead(ctx, "change a credential's policy")
    if second_review_percent is not None and not 0 <= second_review_percent <= 100:
        raise UserError("The share of second reviews is a percentage, from 0 to 100.")
    if near_cut_margin is not _UNSET and near_cut_margin is not None and int(near_cut_margin) < 0:  # type: ignore[call-overload]
        raise UserError("The margin near the cut is a number of levels, 0 or more.")
    if first_reviews is not None and first_reviews < 0:
        raise UserError("The number of first reviews that get a second one is 0 or more.")
    if max_level_gap is not None and max_level_gap < 0:
        raise UserError("The allowed gap between levels is 0 or more.")
    if calibration_threshold is not None and not 0 <= calibration_threshold <= 1:
        raise UserError("The calibration threshold is a share from 0 to 1 (0.8 is 80%).")
    if calibration_items is not None and calibration_items < 0:
        raise UserError("The number of calibration items a reviewer must score is 0 or more.")
    if backread_percent is not None and not 0 <= backread_percent <= 100:
        raise UserError("The share of final decisions backread is a percentage, from 0 to 100.")
    with ctx.transaction() as session:
        _known_credential(session, credential_key)
        row = session.get(m.CredentialPolicy, credential_key)
        before = _to_policy(row) if row is not None else policy_for(session, credential_key)
        if row is None:
            d = Policy(credential_key)
            row = m.CredentialPolicy(credential_key=credential_key,
                                     second_review_percent=d.second_review_percent,
                                     near_cut_margin=d.near_cut_margin, first_reviews=d.first_reviews,
                                     max_level_gap=d.max_level_gap,
                                     calibration_threshold=d.calibration_threshold,
                                     calibration_items=d.calibration_items,
                                     hold_for_release=d.hold_for_release,
                                     backread_percent=d.backread_percent,
                                     seed=ensure_seed(session, me.uid))  # the draw stays the same
            session.add(row)
        if second_review_percent is not None:
            row.second_review_percent = second_review_percent
        if near_cut_margin is not _UNSET:
            row.near_cut_margin = near_cut_margin  # type: ignore[assignment]
        if first_reviews is not None:
            row.first_reviews = first_reviews
        if max_level_gap is not None:
            row.max_level_gap = max_level_gap
        if calibration_threshold is not None:
            row.calibration_threshold = float(calibration_threshold)
        if calibration_items is not None:
            row.calibration_items = calibration_items
        if hold_for_release is not None:
            row.hold_for_release = hold_for_release
        if backread_percent is not None:
            row.backread_percent = backread_percent
        if new_seed:
            row.seed = m.new_uid()
        row.updated_at = utcnow()
        session.flush()
        after = _to_policy(row)
        changed = {f.name: [getattr(before, f.name), getattr(after, f.name)] for f in fields(Policy)
                   if f.name not in ("stored", "updated_at", "seed")
                   and getattr(before, f.name) != getattr(after, f.name)}
        if new_seed:
            changed["seed"] = "new"
        elif not before.stored:
            changed["seed"] = "the database's"
        audit.append(session, audit.POLICY, f"credential {credential_key}", changed, actor_uid=me.uid)
        return after


# -- blind review ----------------------------------------------------------------------------

def _blind_setting(session: Session) -> bool:
    row = session.get(m.AppSetting, BLIND_REVIEW)
    return row is None or row.value.strip().lower() not in ("off", "0", "false", "no")


def identity_withheld(session: Session) -> bool:
    """Whether the person using this database must not see candidates' identity: blind
    review is on and they are a reviewer (a lead assessor always sees it)."""
    role = session.scalar(select(m.Profile.role).where(m.Profile.is_self.is_(True)))
    return role is not Role.LEAD_ASSESSOR and _blind_setting(session)


def blind_review(ctx: AppContext) -> bool:
    """Whether blind review is on in this database (the default)."""
    with ctx.sessions() as session:
        return _blind_setting(session)


def set_blind_review(ctx: AppContext, on: bool) -> bool:
    me = require_lead(ctx, "switch blind review")
    with ctx.transaction() as session:
        row = session.get(m.AppSetting, BLIND_REVIEW)
        before = _blind_setting(session)
        if row is None:
            row = m.AppSetting(key=BLIND_REVIEW, value="on")
            session.add(row)
        row.value = "on" if on else "off"
        session.flush()
        if before != on:
            audit.append(session, audit.POLICY, "blind review", {"blind_review": [before, on]},
                         actor_uid=me.uid)
        return on
