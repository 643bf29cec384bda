"""Every request body in the OpenAPI document has an example, and every example is a body the API accepts."""

from __future__ import annotations

import marshmallow as ma


def json_bodies(app) -> list[tuple[str, dict]]:
    spec = app.test_client().get("/api/openapi.json").get_json()
    return [
        (f"{method.upper()} {path}", operation["requestBody"]["content"]["application/json"])
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "application/json" in operation.get("requestBody", {}).get("content", {})
    ]


def schema_classes() -> dict[str, type[ma.Schema]]:
    """Every schema class of the app by its OpenAPI component name (`RegisterSchema` → `Register`)."""
    found, pending = {}, [ma.Schema]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("app.") and cls.__name__.endswith("Schema"):
            found[cls.__name__.removesuffix("Schema")] = cls
    return found


def test_every_request_body_has_an_example(app):
    bodies = json_bodies(app)
    assert len(bodies) >= 41
    missing = [route for route, media in bodies if "example" not in media]
    assert missing == [], "give each body's schema an EXAMPLE dict (see app/core/api.py: Blueprint.arguments)"


def test_every_example_is_a_body_its_schema_accepts(app):
    classes = schema_classes()
    checked = set()
    for route, media in json_bodies(app):
        name = media["schema"]["$ref"].rsplit("/", 1)[1]
        schema = classes[name]()
        assert media["example"] == schema.EXAMPLE, route
        assert schema.validate(schema.EXAMPLE) == {}, f"{route}: {schema.validate(schema.EXAMPLE)}"
        checked.add(name)
    assert len(checked) >= 31


def test_a_wrong_example_would_be_caught(app):
    schema = schema_classes()["Register"]()
    assert schema.validate({**schema.EXAMPLE, "role": "Owner"}) != {}
