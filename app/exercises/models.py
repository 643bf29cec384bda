"""The exercise library: exercises with their category, difficulty, muscles and equipment.

Muscles and equipment are short lists of lower-cased strings stored in the exercise row itself:
a PostgreSQL `VARCHAR[]` with a GIN index (`muscles @> ARRAY['chest']` is an index scan), and a
JSON array on SQLite (the embedded `make run` mode, filtered with `json_each`). One column
instead of association tables means a list page serializes from one query, without joins or an
extra selectinload round trip, and the filter stays index-backed where it matters (PostgreSQL).

`search_text` is the name and description folded to lower case without accents, maintained by
the application (`fold`), so one LIKE/trigram expression is case- and accent-insensitive on
both databases without PostgreSQL's non-immutable `unaccent()` in an index.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from app.core.columns import TimestampMixin, UTCDateTime, enum_type
from app.extensions import db


class Category(enum.StrEnum):
    STRENGTH = "Strength"
    CARDIO = "Cardio"
    FLEXIBILITY = "Flexibility"
    BALANCE = "Balance"
    PLYOMETRICS = "Plyometrics"
    MOBILITY = "Mobility"


class Difficulty(enum.StrEnum):
    BEGINNER = "Beginner"
    INTERMEDIATE = "Intermediate"
    ADVANCED = "Advanced"


def StringList() -> sa.types.TypeEngine:  # noqa: N802 - a column type factory
    """A list of short strings: ARRAY on PostgreSQL, JSON elsewhere."""
    return sa.JSON().with_variant(postgresql.ARRAY(sa.String(60)), "postgresql")


_SPACES = re.compile(r"\s+")


def fold(value: str | None) -> str:
    """Fold text for matching: accents removed, case folded, white space collapsed."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def search_text_for(name: str, description: str | None) -> str:
    """The folded text that `q` searches: name, then description."""
    return f"{fold(name)} {fold(description)}".strip()


LIVE = sa.text("archived_at IS NULL")


class Exercise(TimestampMixin, db.Model):
    __tablename__ = "exercises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str | None] = mapped_column(sa.Text)
    video_url: Mapped[str | None] = mapped_column(sa.String(500))
    category: Mapped[Category] = mapped_column(enum_type(Category, "exercise_category"))
    difficulty_level: Mapped[Difficulty] = mapped_column(enum_type(Difficulty, "difficulty_level"))
    muscles: Mapped[list[str]] = mapped_column(StringList(), default=list)
    equipment: Mapped[list[str]] = mapped_column(StringList(), default=list)
    # NULL for the starter library; a user deleted later leaves their exercises in the library.
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    name_key: Mapped[str] = mapped_column(sa.String(120))  # folded name: sorting and typo-tolerant ranking
    search_text: Mapped[str] = mapped_column(sa.Text)

    __table_args__ = (
        sa.Index("uq_exercises_name_lower", sa.func.lower(name), unique=True),
        # Lists only ever show live exercises: partial indexes serve their sorts, filters and counts.
        sa.Index("ix_exercises_name_key", "name_key", "id", postgresql_where=LIVE, sqlite_where=LIVE),
        sa.Index(
            "ix_exercises_category_difficulty",
            "category",
            "difficulty_level",
            "name_key",
            "id",
            postgresql_where=LIVE,
            sqlite_where=LIVE,
        ),
        sa.Index("ix_exercises_created_at", "created_at", "id", postgresql_where=LIVE, sqlite_where=LIVE),
        # PostgreSQL only: GIN over the tag arrays (`@>`) and trigram indexes for `q` (LIKE and `<%`).
        sa.Index("ix_exercises_muscles", "muscles", postgresql_using="gin").ddl_if(dialect="postgresql"),
        sa.Index("ix_exercises_equipment", "equipment", postgresql_using="gin").ddl_if(dialect="postgresql"),
        sa.Index(
            "ix_exercises_search_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        sa.Index(
            "ix_exercises_name_trgm", "name_key", postgresql_using="gin", postgresql_ops={"name_key": "gin_trgm_ops"}
        ).ddl_if(dialect="postgresql"),
    )

    @property
    def created_by(self) -> int | None:
        """The creator's user id (null for the starter library)."""
        return self.created_by_id

    @property
    def archived(self) -> bool:
        """Tell whether the exercise was deleted while in use (kept for history)."""
        return self.archived_at is not None

    def __repr__(self) -> str:
        return f"<Exercise {self.id} {self.name!r}>"


@event.listens_for(Exercise, "before_insert")
@event.listens_for(Exercise, "before_update")
def _refresh_search_columns(mapper, connection, exercise: Exercise) -> None:
    """Keep the folded name and search text in step with name and description."""
    exercise.name_key = fold(exercise.name)[:120]
    exercise.search_text = search_text_for(exercise.name, exercise.description)
