"""Projects, project members with their roles, and tasks."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.columns import TimestampMixin, UTCDateTime, enum_type, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.accounts.models import User


class MemberRole(enum.StrEnum):
    ADMIN = "Admin"
    MEMBER = "Member"


class TaskStatus(enum.StrEnum):
    PENDING = "Pending"
    IN_PROGRESS = "In Progress"
    COMPLETED = "Completed"


# Workflow order, used to sort by status (not alphabetically).
STATUS_ORDER = {TaskStatus.PENDING: 0, TaskStatus.IN_PROGRESS: 1, TaskStatus.COMPLETED: 2}


class Project(TimestampMixin, db.Model):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str | None] = mapped_column(sa.Text)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)

    # The caller's role: not a column; the services set it when they load the project for someone.
    my_role = None

    members: Mapped[list[ProjectMember]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )
    tasks: Mapped[list[Task]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )


class ProjectMember(db.Model):
    __tablename__ = "project_members"

    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[MemberRole] = mapped_column(enum_type(MemberRole, "member_role"), default=MemberRole.MEMBER)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    project: Mapped[Project] = relationship(back_populates="members", lazy="raise")
    user: Mapped[User] = relationship("User")

    # "Projects I belong to" and every membership check start from the user.
    __table_args__ = (sa.Index("uq_project_members_user_project", "user_id", "project_id", unique=True),)


class Task(TimestampMixin, db.Model):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[TaskStatus] = mapped_column(enum_type(TaskStatus, "task_status"), default=TaskStatus.PENDING)
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    project: Mapped[Project] = relationship(back_populates="tasks", lazy="raise")

    __table_args__ = (
        sa.Index("ix_tasks_project_id_due_date", "project_id", "due_date"),
        sa.Index("ix_tasks_assignee_id_status_due_date", "assignee_id", "status", "due_date"),
        # The hot list (my open tasks by due date: overdue, today, future) walks this index in order.
        sa.Index(
            "ix_tasks_open_assignee_due",
            "assignee_id",
            "due_date",
            "id",
            postgresql_where=sa.text("status <> 'Completed'"),
            sqlite_where=sa.text("status <> 'Completed'"),
        ),
    )
