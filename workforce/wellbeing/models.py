"""The private wellbeing records: check-ins, referrals, counsellors' follow-ups, rotation
notes and the counsellor-only access log.

Every table here is health data, readable only by the contractor it is about and the
``wellbeing`` role (README, "Wellbeing and privacy"). Ops never read these tables.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workforce.db import Base, UTCDateTime, utcnow
from workforce.rotations.models import Rotation

REFERRAL_STATUSES = ("open", "closed")


class CheckIn(Base):
    """One completed screening questionnaire and its published score.

    ``answers`` is deleted by the retention job after ``CHECKIN_RETENTION_DAYS``; the score,
    band and flags stay for aggregate reports (``answers_deleted_at`` says when).
    """

    __tablename__ = "check_ins"
    __table_args__ = (
        CheckConstraint("instrument IN ('who5', 'phq9', 'gad7', 'pcl5')", name="instrument_known"),
        Index("ix_check_ins_contractor_created", "contractor_id", "created_at"),
        Index("ix_check_ins_flagged_urgent_created", "flagged", "urgent", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"))
    instrument: Mapped[str] = mapped_column(String(8))
    #: One integer per item in published order; NULL once the retention job deleted it.
    answers: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True))
    #: WHO-5: the 0-100 percentage; the others: the published total.
    score: Mapped[int] = mapped_column(Integer)
    #: The plain sum of the answers (WHO-5: 0-25).
    raw_score: Mapped[int] = mapped_column(Integer)
    band: Mapped[str] = mapped_column(String(24))
    #: Opened a referral for a counsellor; never decides anything by itself.
    flagged: Mapped[bool] = mapped_column(Boolean)
    #: PHQ-9 item 9 above "Not at all": counsellors see these first.
    urgent: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answers_deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    referral: Mapped[Referral | None] = relationship(back_populates="check_in")


class Referral(Base):
    """A flagged check-in, or one whose WHO-5 fell by a clinically relevant amount since the
    contractor's previous one, waiting for (or having had) a counsellor's attention."""

    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        Index("ix_referrals_status_urgent_created", "status", "urgent", "created_at"),
        # One referral per worsening and local day, decided by the schema (``checkins.py``).
        Index(
            "uq_referrals_contractor_drop_key",
            "contractor_id",
            "drop_key",
            unique=True,
            sqlite_where=text("drop_key IS NOT NULL"),
            postgresql_where=text("drop_key IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    check_in_id: Mapped[int] = mapped_column(ForeignKey("check_ins.id"), unique=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), index=True)
    status: Mapped[str] = mapped_column(String(8), default="open")
    urgent: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: A counsellor took an urgent referral on; until then it escalates (escalation.py).
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_token_id: Mapped[int | None] = mapped_column(Integer)
    #: Why a worsening opened it (instrument, previous and new score and dates, the drop, the
    #: threshold and its source, a sentence); None when only the screen's band did.
    worsening: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    #: ``<instrument>_drop:<local day of the check-in>``: at most one worsening referral per
    #: contractor and day; None for the others.
    drop_key: Mapped[str | None] = mapped_column(String(40))

    check_in: Mapped[CheckIn] = relationship(back_populates="referral")
    follow_ups: Mapped[list[FollowUp]] = relationship(order_by="FollowUp.id")


class FollowUp(Base):
    """A counsellor's record of reaching out: whether they made contact, the outcome, when next."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), index=True)
    counsellor_token_id: Mapped[int | None] = mapped_column(Integer)
    contacted: Mapped[bool] = mapped_column(Boolean)
    contacted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(4000))
    next_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RotationNote(Base):
    """The private side of a ``wellbeing`` or ``self_requested`` rotation: the counsellor's
    details or the contractor's own reason. Kept out of ``Rotation.explanation``, which ops read.
    """

    __tablename__ = "rotation_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rotation_id: Mapped[int] = mapped_column(ForeignKey("rotations.id"), unique=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), index=True)
    details: Mapped[str | None] = mapped_column(String(4000))
    created_by_token_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # One way only: Rotation has no path to its note, so nothing that dumps a rotation for
    # ops can reach the private text by accident.
    rotation: Mapped[Rotation] = relationship()


class WellbeingAccess(Base):
    """One counsellor's look at (or follow-up on) one contractor's wellbeing records.

    Kept here rather than in the shared audit log, which admin and compliance read: a row
    naming the contractor would tell them who has a referral. Only counsellors read this
    table, and each contractor their own rows (docs/wellbeing.md, "Access log").
    """

    __tablename__ = "wellbeing_access_log"
    __table_args__ = (Index("ix_wellbeing_access_log_contractor", "contractor_id", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"))
    #: The counsellor's token (None: a command on the host) and its name, as in the audit log.
    actor_token_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(200))
    #: ``read``, ``follow_up`` or ``acknowledge``.
    action: Mapped[str] = mapped_column(String(20))
    #: What was looked at: check_in, check_in_list, referral, referral_list, rotation_list,
    #: or the follow-up's referral.
    view: Mapped[str] = mapped_column(String(40))
    #: The follow-up's id for ``follow_up``, the referral's for ``acknowledge``; None for reads.
    object_id: Mapped[int | None] = mapped_column(Integer)
