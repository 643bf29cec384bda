"""Page-numbered lists over SQLAlchemy selects, in flask-smorest's X-Pagination format."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_smorest.pagination import PaginationParameters

from app.extensions import db


def paginate(stmt: sa.Select, pagination: PaginationParameters) -> list[Any]:
    """Return one page of `stmt` and record the total for the X-Pagination header."""
    count_stmt = sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    pagination.item_count = db.session.scalar(count_stmt) or 0
    page = stmt.limit(pagination.page_size).offset(pagination.first_item)
    return list(db.session.execute(page).unique().scalars())
