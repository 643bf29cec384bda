"""Query strings read field by field (`StrictParser`'s fast way) give what the full webargs parse gives."""

from __future__ import annotations

import itertools
import pkgutil
from importlib import import_module

import marshmallow as ma
import pytest
from flask import request
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA
from werkzeug.exceptions import HTTPException

import app as app_package
from app.core.parsing import QueryLoader, SchemaInstanceParser, StrictParser

VALUES = ["1", "0", "-3", "42", "abc", "", " padded ", "2026-11-22", "2026-11-22T10:00:00Z", "true", "x" * 150]


def _query_schemas() -> list[type[ma.Schema]]:
    found = set()
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        if module.name.endswith(".schemas"):
            for value in vars(import_module(module.name)).values():
                if isinstance(value, type) and issubclass(value, ma.Schema) and value.__name__.endswith("ArgsSchema"):
                    found.add(value)
    return sorted(found, key=lambda cls: cls.__name__)


def _choices(field: ma.fields.Field) -> list[str]:
    """Values the field accepts by name (enum members, OneOf choices), to reach its success path too."""
    inner = field.inner if isinstance(field, ma.fields.List) else field
    names = [
        str(getattr(member, "value", member))
        for member in getattr(getattr(inner, "enum", None), "__members__", {}).values()
    ]
    for validator in getattr(inner, "validators", []):
        names += [str(choice) for choice in getattr(validator, "choices", [])]
    return names[:4]


def _queries(schema: ma.Schema) -> list[str]:
    keys = {field.data_key or name: field for name, field in schema.load_fields.items()}
    queries = ["", "nope=1", "page=2&page_size=5"]
    for key, field in keys.items():
        queries += [f"{key}={value}" for value in VALUES + _choices(field)]
        queries += [f"{key}=1&{key}=2", f"{key}={(_choices(field) or ['1'])[0]}&page_size=20"]
    for (a, fa), (b, fb) in itertools.combinations(keys.items(), 2):
        queries.append(f"{a}={(_choices(fa) or ['1'])[0]}&{b}={(_choices(fb) or ['2'])[0]}")
        queries.append(f"{a}=2026-11-22&{b}=2026-11-23")  # ranges: both ends required, both dates
    return queries


def _full(app, schema_cls, query):
    with app.test_request_context(f"/?{query}"):
        try:
            return SchemaInstanceParser.parse(StrictParser(), schema_cls, location="query")
        except HTTPException as error:
            return ("error", error.code)


@pytest.mark.parametrize("schema_cls", _query_schemas(), ids=lambda cls: cls.__name__)
def test_the_fast_way_agrees_with_the_full_parse(app, schema_cls):
    schema = schema_cls()
    field_map = QueryLoader.of(schema)
    if field_map is None:  # load hooks (a pre-load of its own, a validator wanting the raw input): the full parse
        hooks = type(schema)._hooks
        assert any(hooks.get(tag) for tag in (PRE_LOAD, POST_LOAD, VALIDATES)) or any(
            pass_many or options.get("pass_original") for _, pass_many, options in hooks[VALIDATES_SCHEMA]
        )
        return
    fast = 0
    for query in _queries(schema):
        with app.test_request_context(f"/?{query}"):
            loaded = field_map.load(request.args)
        full = _full(app, schema_cls, query)
        if loaded is not None:
            assert loaded == full, query
            fast += 1
        elif query == "nope=1":  # an unknown key is left to the full parse, which refuses it
            assert full == ("error", 422)
    assert fast > 0, "no query took the fast way: nothing was compared"


def test_the_common_list_queries_take_the_fast_way(app):
    from app.exercises.schemas import ExerciseQueryArgsSchema

    field_map = QueryLoader.of(ExerciseQueryArgsSchema())
    for query in (
        "category=Strength&difficulty_level=Intermediate&page_size=20",
        "q=press",
        "muscle=chest&muscle=back",
    ):
        with app.test_request_context(f"/?{query}"):
            assert field_map.load(request.args) == _full(app, ExerciseQueryArgsSchema, query)


def test_a_cursor_list_takes_the_fast_way_and_its_schema_validator_still_refuses(app, client, login, user):
    from app.social.schemas import ActivityQueryArgsSchema

    field_map = QueryLoader.of(ActivityQueryArgsSchema())
    assert field_map is not None
    for query in ("limit=20", "before=7", "after=3&limit=5", ""):
        with app.test_request_context(f"/?{query}"):
            assert field_map.load(request.args) == _full(app, ActivityQueryArgsSchema, query)
    with app.test_request_context("/?before=7&after=3"):
        assert field_map.load(request.args) is None  # the validator refused: the full parse answers
    response = client.get("/api/feed?before=7&after=3", headers=login(user))
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"query": {"after": ["Give `before` or `after`, not both."]}}


def test_refusals_are_webargs_422s(client, login, user):
    headers = login(user)
    for query in ("category=Nope", "nope=1", "page_size=101", "muscle=" + "x" * 61):
        response = client.get(f"/api/exercises?{query}", headers=headers)
        assert response.status_code == 422, query
        assert response.get_json()["errors"]["query"], query
