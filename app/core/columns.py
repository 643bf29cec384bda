"""Column types and helpers every model uses: aware UTC timestamps, API-spelled enums, LIKE escaping."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always read back timezone-aware, on PostgreSQL and SQLite."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        """Refuse naive datetimes; store UTC (naive UTC on SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        """Read back an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_type(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A portable enum column storing the members' values as spelled in the API."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


def escape_like(value: str) -> str:
    """Escape LIKE's wildcards (and the escape character, `\\`) so a user's text matches as typed."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def word_patterns(words: list[str]) -> dict[str, str]:
    """The bound values of `contains_every_word`: `word_0`, `word_1`, ... each a LIKE pattern matching the word."""
    return {f"word_{i}": f"%{escape_like(word)}%" for i, word in enumerate(words)}


def contains_every_word(column: Any, count: int) -> sa.ColumnElement[bool]:
    """SQL: the column holds each of `count` words bound as `word_0`... (`word_patterns`), in any order."""
    return sa.and_(*(column.like(sa.bindparam(f"word_{i}"), escape="\\") for i in range(count)))


class TimestampMixin:
    """created_at / updated_at, set by the application in UTC."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)
