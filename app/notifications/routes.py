"""REST endpoints of notifications (API.md §7): the in-app list, read marks, preferences, devices."""

from __future__ import annotations

from flask.views import MethodView

from app.core.api import Blueprint
from app.core.auth import auth_required, current_user
from app.core.pagination import paginate
from app.notifications import devices, preferences, schemas
from app.notifications import services as svc

blp = Blueprint("notifications", __name__, url_prefix="/api", description="Notifications, preferences, devices.")


@blp.route("/notifications")
class Notifications(MethodView):
    @auth_required()
    @blp.arguments(schemas.NotificationQueryArgsSchema, location="query")
    @blp.response(200, schemas.NotificationSchema(many=True))
    def get(self, args):
        """List your notifications, newest first (cursor: `before`, `after`; `unread=true`)."""
        return svc.list_notifications(current_user(), **args)


@blp.route("/notifications/read")
class NotificationsRead(MethodView):
    @auth_required()
    @blp.arguments(schemas.NotificationReadSchema)
    @blp.response(204)
    def post(self, data):
        """Mark notifications read: `{ids: [...]}` or `{all: true}`."""
        svc.mark_read(current_user(), **data)


@blp.route("/notifications/preferences")
class NotificationPreferences(MethodView):
    @auth_required()
    @blp.response(200, schemas.PreferencesSchema)
    def get(self):
        """Read your notification channels and quiet hours."""
        return preferences.as_dict(preferences.get_preferences(current_user().id))

    @auth_required()
    @blp.arguments(schemas.PreferencesSchema)
    @blp.response(200, schemas.PreferencesSchema)
    def put(self, data):
        """Change channels and quiet hours (fields given only; `quiet_hours: null` turns them off)."""
        return preferences.as_dict(preferences.update_preferences(current_user(), data))

    patch = put


@blp.route("/devices")
class Devices(MethodView):
    @auth_required()
    @blp.arguments(schemas.DeviceCreateSchema)
    @blp.response(201, schemas.DeviceSchema)
    @blp.alt_response(200, schema=schemas.DeviceSchema, description="The token was already registered.")
    def post(self, data):
        """Register a push token; the same token again returns the same device (200)."""
        device, created = devices.register_device(current_user(), data["platform"], data["token"])
        return device, 201 if created else 200

    @auth_required()
    @blp.arguments(schemas.DeviceQueryArgsSchema, location="query")
    @blp.response(200, schemas.DeviceSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List your registered devices."""
        return paginate(devices.list_devices(current_user()), pagination_parameters)


@blp.route("/devices/<id:device_id>")
class DeviceById(MethodView):
    @auth_required()
    @blp.response(204)
    def delete(self, device_id):
        """Unregister one of your devices."""
        devices.delete_device(current_user(), device_id)
