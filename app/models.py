"""Import every domain's models so the metadata (and Alembic) sees all tables."""

from app.accounts import models as accounts_models  # noqa: F401
from app.ops import models as ops_models  # noqa: F401
