"""The two-user access sweep: every id-taking route of the URL map, tried by user B on user A's objects.

User A (a trainer with a client) makes one of every object; user B (a trainer with no relationship to A)
tries every route whose path takes an id, with a body valid for the route. B must get the status API.md
gives (404 for what B may not see, 403 for what B sees but may not change). Then A sends the same request
and must not get a 403/404/422: so B's refusal was the permission check, not a bad body or a missing
object. A route of the URL map with no entry in `SWEEP` fails the test: none is forgotten.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from PIL import Image

from app.accounts.models import Identity, OAuthProvider
from app.calendar.models import CalendarConnection, Provider
from app.extensions import db
from tests import factories

# Routes that take no object id: assets by file name, the public media objects by their content-addressed key
# (avatars, served to <img> tags without a token), and the public OAuth sign-in by provider name. Every other
# route with a path argument is swept.
NOT_OBJECT_ROUTES = {"/static/<filename>", "/api/docs/assets/<filename>", "/media/<key>", "/api/oauth/<provider>"}
START = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
PAST = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
# 404: B may not know it exists (API.md: objects a caller may not see); 403: B sees it, may not change it.
HIDDEN, REFUSED = {404}, {403}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


@dataclass(frozen=True)
class Upload:
    """A multipart body with one file field (an avatar), sent instead of JSON."""

    field: str
    data: bytes
    name: str
    content_type: str

    def open(self, client, url: str, method: str, headers: dict):
        """Send the file as `multipart/form-data`."""
        files = {self.field: (io.BytesIO(self.data), self.name, self.content_type)}
        return client.open(url, method=method, headers=headers, data=files, content_type="multipart/form-data")


AVATAR = Upload("file", _png(), "me.png", "image/png")


# (method, rule) -> (path arguments from the world, JSON body or None, statuses B may get).
SWEEP = {
    ("DELETE", "/api/calendar/connections/<connection_id>"): (
        lambda w: {"connection_id": w.connection},
        None,
        HIDDEN,
    ),
    ("GET", "/api/calendar/feed/<token>.ics"): (lambda w: {"token": "not-" + w.feed_token}, None, HIDDEN),
    ("GET", "/api/coaching/<relationship_id>"): (lambda w: {"relationship_id": w.coaching}, None, HIDDEN),
    ("DELETE", "/api/coaching/<relationship_id>"): (lambda w: {"relationship_id": w.coaching}, None, HIDDEN),
    ("POST", "/api/coaching/<relationship_id>/accept"): (lambda w: {"relationship_id": w.pending}, None, HIDDEN),
    ("POST", "/api/coaching/<relationship_id>/decline"): (lambda w: {"relationship_id": w.pending}, None, HIDDEN),
    ("DELETE", "/api/devices/<device_id>"): (lambda w: {"device_id": w.device}, None, HIDDEN),
    ("GET", "/api/events/<event_id>"): (lambda w: {"event_id": w.event}, None, HIDDEN),
    ("PUT", "/api/events/<event_id>"): (
        lambda w: {"event_id": w.event},
        {"title": "moved", "start_time": _iso(START), "end_time": _iso(START + timedelta(hours=1))},
        HIDDEN,
    ),
    ("PATCH", "/api/events/<event_id>"): (lambda w: {"event_id": w.event}, {"title": "renamed"}, HIDDEN),
    ("DELETE", "/api/events/<event_id>"): (lambda w: {"event_id": w.event}, None, HIDDEN),
    ("PUT", "/api/exercises/<exercise_id>"): (
        lambda w: {"exercise_id": w.exercise},
        {"name": "Renamed press", "category": "Strength", "difficulty_level": "Beginner"},
        REFUSED,  # the library is public: B sees A's exercise
    ),
    ("PATCH", "/api/exercises/<exercise_id>"): (lambda w: {"exercise_id": w.exercise}, {"name": "X2"}, REFUSED),
    ("DELETE", "/api/exercises/<exercise_id>"): (lambda w: {"exercise_id": w.exercise}, None, REFUSED),
    ("GET", "/api/measurements/<measurement_id>"): (lambda w: {"measurement_id": w.measurement}, None, HIDDEN),
    ("DELETE", "/api/measurements/<measurement_id>"): (lambda w: {"measurement_id": w.measurement}, None, HIDDEN),
    ("POST", "/api/plans/<plan_id>/assignments"): (
        lambda w: {"plan_id": w.plan},
        lambda w: {"user_id": w.client_id, "start_date": "2031-03-03"},
        HIDDEN,
    ),
    ("GET", "/api/plans/<plan_id>"): (lambda w: {"plan_id": w.plan}, None, HIDDEN),
    ("PUT", "/api/plans/<plan_id>"): (
        lambda w: {"plan_id": w.plan},
        {"title": "plan2", "weeks": 2, "visibility": "Private", "schedule": []},
        HIDDEN,
    ),
    ("PATCH", "/api/plans/<plan_id>"): (lambda w: {"plan_id": w.plan}, {"title": "plan3"}, HIDDEN),
    ("DELETE", "/api/plans/<plan_id>"): (lambda w: {"plan_id": w.plan}, None, HIDDEN),
    ("GET", "/api/projects/<project_id>"): (lambda w: {"project_id": w.project}, None, HIDDEN),
    ("PUT", "/api/projects/<project_id>"): (lambda w: {"project_id": w.project}, {"name": "p2"}, HIDDEN),
    ("PATCH", "/api/projects/<project_id>"): (lambda w: {"project_id": w.project}, {"name": "p3"}, HIDDEN),
    ("DELETE", "/api/projects/<project_id>"): (lambda w: {"project_id": w.project}, None, HIDDEN),
    ("GET", "/api/projects/<project_id>/members"): (lambda w: {"project_id": w.project}, None, HIDDEN),
    ("POST", "/api/projects/<project_id>/members"): (
        lambda w: {"project_id": w.project},
        lambda w: {"user_id": w.other_id, "role": "Member"},
        HIDDEN,
    ),
    ("GET", "/api/projects/<project_id>/members/<user_id>"): (
        lambda w: {"project_id": w.project, "user_id": w.client_id},
        None,
        HIDDEN,
    ),
    ("PUT", "/api/projects/<project_id>/members/<user_id>"): (
        lambda w: {"project_id": w.project, "user_id": w.client_id},
        {"role": "Admin"},
        HIDDEN,
    ),
    ("PATCH", "/api/projects/<project_id>/members/<user_id>"): (
        lambda w: {"project_id": w.project, "user_id": w.client_id},
        {"role": "Admin"},
        HIDDEN,
    ),
    ("DELETE", "/api/projects/<project_id>/members/<user_id>"): (
        lambda w: {"project_id": w.project, "user_id": w.client_id},
        None,
        HIDDEN,
    ),
    ("GET", "/api/projects/<project_id>/tasks"): (lambda w: {"project_id": w.project}, None, HIDDEN),
    ("POST", "/api/projects/<project_id>/tasks"): (lambda w: {"project_id": w.project}, {"title": "t2"}, HIDDEN),
    ("GET", "/api/sessions/<session_id>"): (lambda w: {"session_id": w.session}, None, HIDDEN),
    ("PUT", "/api/sessions/<session_id>"): (
        lambda w: {"session_id": w.session},
        {"started_at": _iso(PAST)},
        HIDDEN,
    ),
    ("PATCH", "/api/sessions/<session_id>"): (lambda w: {"session_id": w.session}, {"notes": "n"}, HIDDEN),
    ("DELETE", "/api/sessions/<session_id>"): (lambda w: {"session_id": w.session}, None, HIDDEN),
    ("GET", "/api/tasks/<task_id>"): (lambda w: {"task_id": w.task}, None, HIDDEN),
    ("PUT", "/api/tasks/<task_id>"): (lambda w: {"task_id": w.task}, {"title": "t3"}, HIDDEN),
    ("PATCH", "/api/tasks/<task_id>"): (lambda w: {"task_id": w.task}, {"title": "t4"}, HIDDEN),
    ("DELETE", "/api/tasks/<task_id>"): (lambda w: {"task_id": w.task}, None, HIDDEN),
    ("GET", "/api/users/<user_id>/progress/exercises/<exercise_id>"): (
        lambda w: {"user_id": w.a_id, "exercise_id": w.exercise},
        None,
        REFUSED,  # A's public profile is visible; A's figures are not
    ),
    ("GET", "/api/users/<user_id>/stats"): (lambda w: {"user_id": w.a_id}, None, REFUSED),
    ("PUT", "/api/users/<user_id>"): (lambda w: {"user_id": w.a_id}, {"profile": {"bio": "b"}}, REFUSED),
    ("PATCH", "/api/users/<user_id>"): (lambda w: {"user_id": w.a_id}, {"profile": {"bio": "b"}}, REFUSED),
    ("GET", "/api/workouts/<workout_id>"): (lambda w: {"workout_id": w.workout}, None, HIDDEN),
    ("PUT", "/api/workouts/<workout_id>"): (
        lambda w: {"workout_id": w.workout},
        lambda w: {"title": "w2", "visibility": "Private", "items": [{"exercise_id": w.exercise, "position": 1}]},
        HIDDEN,
    ),
    ("PATCH", "/api/workouts/<workout_id>"): (lambda w: {"workout_id": w.workout}, {"title": "w3"}, HIDDEN),
    ("DELETE", "/api/workouts/<workout_id>"): (lambda w: {"workout_id": w.workout}, None, HIDDEN),
    ("POST", "/api/workouts/<workout_id>/copy"): (lambda w: {"workout_id": w.workout}, None, HIDDEN),
    # social (API.md §9): A's activities are for followers, A's profile is private: B sees none of it (404)
    ("POST", "/api/workouts/<workout_id>/share"): (lambda w: {"workout_id": w.workout}, {"caption": "c"}, HIDDEN),
    ("GET", "/api/activities/<activity_id>"): (lambda w: {"activity_id": w.activity}, None, HIDDEN),
    ("DELETE", "/api/activities/<activity_id>"): (lambda w: {"activity_id": w.activity}, None, HIDDEN),
    ("GET", "/api/activities/<activity_id>/kudos"): (lambda w: {"activity_id": w.activity}, None, HIDDEN),
    ("POST", "/api/activities/<activity_id>/kudos"): (lambda w: {"activity_id": w.activity}, None, HIDDEN),
    ("DELETE", "/api/activities/<activity_id>/kudos"): (lambda w: {"activity_id": w.activity}, None, HIDDEN),
    ("GET", "/api/activities/<activity_id>/comments"): (lambda w: {"activity_id": w.activity}, None, HIDDEN),
    ("POST", "/api/activities/<activity_id>/comments"): (
        lambda w: {"activity_id": w.activity},
        {"content": "hi"},
        HIDDEN,
    ),
    ("DELETE", "/api/comments/<comment_id>"): (lambda w: {"comment_id": w.comment}, None, HIDDEN),
    ("GET", "/api/users/<user_id>/followers"): (lambda w: {"user_id": w.a_id}, None, HIDDEN),
    ("GET", "/api/users/<user_id>/following"): (lambda w: {"user_id": w.a_id}, None, HIDDEN),
    # a pending request to A: B has none from that user (404), A accepts or declines it
    ("POST", "/api/users/me/follow-requests/<user_id>/accept"): (lambda w: {"user_id": w.other_id}, None, HIDDEN),
    ("POST", "/api/users/me/follow-requests/<user_id>/decline"): (lambda w: {"user_id": w.other_id}, None, HIDDEN),
    ("DELETE", "/api/announcements/<announcement_id>"): (
        lambda w: {"announcement_id": w.announcement},
        None,
        HIDDEN,
    ),
    # identity: A's avatar (B sees A's public profile and its image, may not change it); A's linked provider
    ("PUT", "/api/users/<user_id>/avatar"): (lambda w: {"user_id": w.a_id}, AVATAR, REFUSED),
    ("DELETE", "/api/users/<user_id>/avatar"): (lambda w: {"user_id": w.a_id}, None, REFUSED),
    ("DELETE", "/api/users/me/identities/<provider>"): (lambda w: {"provider": "google"}, None, HIDDEN),
    # privacy: A's export (B may not know of it); a download link is a capability: a forged one reaches nothing
    ("GET", "/api/users/me/export/<export_id>"): (lambda w: {"export_id": w.export}, None, HIDDEN),
    ("GET", "/api/exports/download/<token>"): (lambda w: {"token": "forged-" + w.export}, None, HIDDEN),
}
# Routes keyed by another user's id where B acts on B's own data or sees A's public view: B may succeed, and
# what B gets is checked by the route's own tests (the public user view leaves private fields out).
OWN_OR_PUBLIC = {
    ("GET", "/api/users/<user_id>"): (lambda w: {"user_id": w.a_id}, None, {200}),
    ("GET", "/api/exercises/<exercise_id>"): (lambda w: {"exercise_id": w.exercise}, None, {200}),  # public library
    ("POST", "/api/users/<user_id>/block"): (lambda w: {"user_id": w.a_id}, None, {200, 201, 204}),
    ("DELETE", "/api/users/<user_id>/block"): (lambda w: {"user_id": w.a_id}, None, {204, 404}),
    # B's own follow of A (a request, as A's profile is private) and its withdrawal (idempotent)
    ("POST", "/api/users/<user_id>/follow"): (lambda w: {"user_id": w.a_id}, None, {204}),
    ("DELETE", "/api/users/<user_id>/follow"): (lambda w: {"user_id": w.a_id}, None, {204}),
    # the activities of A that B may see: none (checked below)
    ("GET", "/api/users/<user_id>/activities"): (lambda w: {"user_id": w.a_id}, None, {200}),
}


def plain(rule: str) -> str:
    """A rule without its converters (`/api/users/<id:user_id>` is `/api/users/<user_id>`): entries outlive them."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"<\1>", rule)


def id_routes(app) -> set[tuple[str, str]]:
    """Every (method, rule) of the URL map whose path takes an argument (assets by file name aside)."""
    return {
        (method, plain(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.arguments and plain(rule.rule) not in NOT_OBJECT_ROUTES
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_no_id_taking_route_is_forgotten(app):
    swept = set(SWEEP) | set(OWN_OR_PUBLIC)
    assert id_routes(app) - swept == set(), "add the new routes to SWEEP (or OWN_OR_PUBLIC, with a reason)"
    assert swept - id_routes(app) == set(), "SWEEP names routes that no longer exist"


@pytest.fixture
def media(app, app_config, tmp_path):
    """Avatars are stored in a temporary folder."""
    app_config.update(STORAGE_BACKEND="local", STORAGE_LOCAL_PATH=str(tmp_path / "media"))
    app.extensions.pop("storage", None)
    yield
    app.extensions.pop("storage", None)


@pytest.fixture
def world(client, login, make_user, media):
    """A trainer A with one of every object, an active and a pending client; B, a trainer who knows none."""
    a, b = make_user(role="Trainer"), make_user(role="Trainer")
    client_user, pending_user, other = make_user(), make_user(), make_user()
    coaching = factories.make_coaching(a, client_user, "Active")
    pending = factories.make_coaching(a, pending_user, "Pending")
    exercise = factories.make_exercise(a)
    workout = factories.make_workout(a, [exercise])
    plan = factories.make_plan(a, [(1, 1, workout)])
    project = factories.make_project(a, members=[client_user])
    task = factories.make_task(project, a)
    event = factories.make_event(a, START)
    session = factories.make_session(a, START, sets=[{"exercise_id": exercise.id, "reps": 5, "weight_kg": 80}])
    measurement = factories.make_measurement(a, "Weight", 80.5, START)
    connection = CalendarConnection(user_id=a.id, provider=Provider.CALDAV, url="http://127.0.0.1:1/", credentials="x")
    db.session.add(connection)
    db.session.add(Identity(user_id=a.id, provider=OAuthProvider.GOOGLE, subject="a-google", email=a.email))
    db.session.commit()
    a_headers = login(a)
    private = {"profile": "Private", "activities": "Followers"}
    assert client.put("/api/users/me/privacy", json=private, headers=a_headers).status_code == 200
    assert client.post(f"/api/users/{a.id}/follow", headers=login(other)).status_code == 204  # a pending request
    shared = client.post(f"/api/workouts/{workout.id}/share", json={"visibility": "Followers"}, headers=a_headers)
    activity = shared.get_json()["id"]
    comment = client.post(f"/api/activities/{activity}/comments", json={"content": "mine"}, headers=a_headers)
    announcement = {"title": "Deload", "target": "clients", "send_at": _iso(START)}
    announced = client.post("/api/announcements", json=announcement, headers=a_headers)
    device = client.post("/api/devices", json={"platform": "android", "token": "a-device"}, headers=a_headers)
    feed_url = client.post("/api/calendar/feed-token", headers=a_headers).get_json()["url"]
    feed_token = feed_url.rsplit("/", 1)[1].removesuffix(".ics")
    export = client.post("/api/users/me/export", headers=a_headers)
    assert export.status_code == 202, export.get_json()
    return SimpleNamespace(
        a_id=a.id,
        client_id=client_user.id,
        other_id=other.id,
        coaching=coaching.id,
        pending=pending.id,
        exercise=exercise.id,
        workout=workout.id,
        plan=plan.id,
        project=project.id,
        task=task.id,
        event=event.id,
        session=session.id,
        measurement=measurement.id,
        device=device.get_json()["id"],
        connection=connection.id,
        feed_token=feed_token,
        activity=activity,
        comment=comment.get_json()["id"],
        announcement=announced.get_json()["id"],
        export=str(export.get_json()["export_id"]),
        a_headers=a_headers,
        b_headers=login(b),
    )


def _fill(rule: str, values: dict) -> str:
    """The rule with each `<converter:name>` replaced by its value."""
    return re.sub(r"<([^>]+)>", lambda m: str(values[m.group(1)]), rule)


@pytest.mark.parametrize(("method", "rule"), sorted(SWEEP))
def test_b_cannot_reach_a_s_objects(client, world, method, rule):
    args, body, allowed = SWEEP[(method, rule)]
    url = _fill(rule, args(world))
    json_body = body(world) if callable(body) else body

    def send(headers: dict):
        if isinstance(json_body, Upload):
            return json_body.open(client, url, method, headers)
        return client.open(url, method=method, headers=headers, json=json_body)

    as_b = send(world.b_headers)
    assert as_b.status_code in allowed, (method, url, as_b.status_code, as_b.get_json())
    assert as_b.get_json()["code"] == as_b.status_code  # API.md's error shape
    if rule.endswith(".ics"):  # a capability URL: A's own token works without a login
        assert client.get(_fill(rule, {"token": world.feed_token})).status_code == 200
        return
    if rule.startswith("/api/exports/download/"):  # a signed link, tested with A's real one in tests/privacy
        return
    as_a = send(world.a_headers)
    assert as_a.status_code not in (403, 404, 422), (method, url, as_a.status_code, as_a.get_json())


@pytest.mark.parametrize(("method", "rule"), sorted(OWN_OR_PUBLIC))
def test_routes_keyed_by_another_user_act_on_b_s_own_data_or_a_s_public_view(client, world, method, rule):
    args, body, allowed = OWN_OR_PUBLIC[(method, rule)]
    response = client.open(_fill(rule, args(world)), method=method, headers=world.b_headers, json=body)
    assert response.status_code in allowed, response.get_json()
    if rule == "/api/users/<user_id>":
        assert "email" not in response.get_json()  # the public view of A
    if rule == "/api/users/<user_id>/activities":
        assert response.get_json() == []  # A's activity is for A's followers
        mine = client.get(_fill(rule, args(world)), headers=world.a_headers).get_json()
        assert world.activity in [activity["id"] for activity in mine]
