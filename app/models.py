"""Import every domain's models so the metadata (and Alembic) sees all tables."""

from app.accounts import models as accounts_models  # noqa: F401
from app.calendar import models as calendar_models  # noqa: F401
from app.chat import models as chat_models  # noqa: F401
from app.exercises import models as exercises_models  # noqa: F401
from app.notifications import models as notifications_models  # noqa: F401
from app.ops import models as ops_models  # noqa: F401
from app.privacy import models as privacy_models  # noqa: F401
from app.projects import models as projects_models  # noqa: F401
from app.social import models as social_models  # noqa: F401
from app.training import models as training_models  # noqa: F401
from app.workouts import models as workouts_models  # noqa: F401
