"""The embedded mode (SQLite): erasure's portable scrub, the ledger's triggers, the analytics report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.core.storage import LocalStorage
from app.extensions import db
from app.privacy import analytics
from app.privacy import services as privacy_services
from app.privacy.models import AnalyticsEvent, ConsentType
from tests.factories import PASSWORD
from tests.privacy.conftest import make_world
from tests.privacy.test_erasure import scan


@pytest.mark.live
def test_sqlite_erasure_ledger_and_report(tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'embedded.sqlite'}")
    with app.app_context():
        upgrade(revision="heads")
        app.extensions["storage"] = store = LocalStorage(tmp_path / "media")
        world = make_world(store)
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            db.session.execute(sa.text("UPDATE consents SET granted = 0"))
        db.session.rollback()

        privacy_services.record_consent(world.friend, ConsentType.ANALYTICS, True)
        analytics.record_server_event(world.friend.id, "app.open")
        later = datetime.now(UTC) + timedelta(minutes=5)
        assert analytics.materialise_server_events(later) == {"message_sent": 0, "signed_up": 1}
        assert analytics.materialise_server_events(later) == {"message_sent": 0, "signed_up": 0}
        db.session.commit()
        report = analytics.report(days=2, weeks=2)
        assert report["daily_active_users"][-1]["users"] == 1
        assert report["retention"][-1]["active"] == [1]

        privacy_services.request_erasure(world.me, password=PASSWORD)
        assert privacy_services.erase_user(world.me.id) is True
        db.session.commit()
        assert scan(world) == []
        assert store.list("") == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AnalyticsEvent)) == 2  # the friend's
        db.session.remove()
        db.engine.dispose()
