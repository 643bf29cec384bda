"""Page-numbered lists over SQLAlchemy selects, in flask-smorest's X-Pagination format, and their children.

One way to read a page: its rows and the total in one round trip (`_with_total`), the total recorded for the
header (`_record_total`). `paginate(stmt, ...)` runs a select built for this request; `PagedSelect` is the
same for a select built once per shape of the filters, with the values bound per request, for the lists
clients poll. `PageChildren` reads the child rows of a page's parents (a workout's items, a session's sets)
in one more statement, also compiled once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask_smorest.pagination import PaginationParameters

from app.core.direct_sql import DirectStatement
from app.core.unit_of_work import bind_of
from app.extensions import db


def paginate(stmt: sa.Select, pagination: PaginationParameters) -> list[Any]:
    """Return one page of `stmt` and record the total for the X-Pagination header.

    One round trip: the total rides along with every row of the page as an uncorrelated scalar subquery,
    which PostgreSQL counts once (from the index where it can) — cheaper than a window count, which would
    have to fetch every matching row. Only a page past the end, with no row to carry it, costs a second query.
    (`stmt` may join to-one relations eagerly, not collections: those would multiply the rows.) A select of
    one entity or column gives its values; a select of several columns gives rows (with `_total` as well).
    """
    page, count = _with_total(stmt)
    rows = db.session.execute(page.limit(pagination.page_size).offset(pagination.first_item)).all()
    _record_total(pagination, rows, lambda: db.session.scalar(count))
    if rows and len(rows[0]) > 2:  # several columns, then the total
        return rows
    return [row[0] for row in rows]


def _with_total(stmt: sa.Select) -> tuple[sa.Select, sa.Select]:
    """The select with the total of its rows as a last column (`_total`), and the count alone."""
    count = sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    return stmt.add_columns(count.scalar_subquery().label("_total")), count


def _record_total(pagination: PaginationParameters, rows: list[Any], count: Callable[[], int]) -> None:
    """Take the total from the page's rows; only a page past the end asks for it (`count`)."""
    if rows:
        pagination.item_count = rows[0][-1]
    else:
        pagination.item_count = count() if pagination.first_item else 0


class PagedSelect:
    """A page-numbered list whose select is built once (with named `bindparam`s) and run as a `DirectStatement`.

    The same answer as `paginate(stmt, ...)` — page and total in one round trip — for lists hot enough that
    SQLAlchemy's per-call work shows: the statement is neither rebuilt nor recompiled per request.
    """

    def __init__(self, stmt: sa.Select, *, driver_values: bool = False) -> None:
        page, count = _with_total(stmt)
        page = page.limit(sa.bindparam("_limit")).offset(sa.bindparam("_offset"))
        self._page = DirectStatement(page, driver_values=driver_values)
        self._count = DirectStatement(count)

    def page(self, params: dict[str, Any], pagination: PaginationParameters) -> list[Any]:
        """One page of rows for these bound values; records the total for the X-Pagination header."""
        window = {**params, "_limit": pagination.page_size, "_offset": pagination.first_item}
        rows = self._page.rows(db.session, window)
        _record_total(pagination, rows, lambda: self._count.rows(db.session, params)[0][0])
        return rows


class PageChildren:
    """The child rows of a page's parents in one statement, compiled once per dialect and number of parents.

    `select_for(dialect)` builds the children's select (columns, joins, order) without the parent condition;
    `parent` is the child column naming the parent. The parent ids are bound one by one (`IN (:parent_0,
    ...)`, portable, and the same text for every page of that length), so a page size is one statement
    shape. Rows come back as `DirectStatement` rows (converted by the column types unless `driver_values`).
    """

    def __init__(
        self, select_for: Callable[[str], sa.Select], parent: sa.Column, *, driver_values: bool = False
    ) -> None:
        self.select_for = select_for
        self.parent = parent
        self.driver_values = driver_values
        self._statements: dict[tuple[str, int], DirectStatement] = {}

    def of(self, parent_ids: list[int], params: dict[str, Any] | None = None) -> list[list[Any]]:
        """Each parent's child rows in the select's order, following `parent_ids` (`params`: the select's own
        bound values, if it has any)."""
        if not parent_ids:
            return []
        names = [f"parent_{i}" for i in range(len(parent_ids))]
        statement = self._statement(bind_of(db.session).dialect.name, names)
        children: dict[int, list] = {parent_id: [] for parent_id in parent_ids}
        parent_key = self.parent.key
        for row in statement.rows(db.session, {**(params or {}), **dict(zip(names, parent_ids, strict=True))}):
            children[getattr(row, parent_key)].append(row)
        return [children[parent_id] for parent_id in parent_ids]

    def _statement(self, dialect: str, names: list[str]) -> DirectStatement:
        key = (dialect, len(names))
        statement = self._statements.get(key)
        if statement is None:
            stmt = self.select_for(dialect).where(self.parent.in_([sa.bindparam(name) for name in names]))
            statement = self._statements[key] = DirectStatement(stmt, driver_values=self.driver_values)
        return statement
