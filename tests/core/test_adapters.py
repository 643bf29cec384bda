"""Each adapter of app/core/adapters against the installed library: an upgrade that moves an internal fails here.

These tests pin the pinned versions' internals, not our behaviour (the rest of the suite covers that): when one
fails after an upgrade, fix the adapter named in the test and nothing else.
"""

from __future__ import annotations

import importlib.metadata

import flask_smorest
import marshmallow as ma
import pytest
import redis
import sqlalchemy as sa
from flask_caching import Cache
from marshmallow.decorators import POST_LOAD, PRE_LOAD
from webargs.flaskparser import FlaskParser

from app.core.adapters import flask_caching, redis_py
from app.core.adapters import flask_smorest as smorest_adapter
from app.core.adapters import marshmallow as ma_adapter
from app.core.adapters import sqlalchemy as sa_adapter
from app.core.adapters import webargs as webargs_adapter
from app.extensions import db


def test_sqlalchemy_compiled_statement_exposes_parameter_order_and_bind_names(app):
    stmt = sa.select(sa.literal_column("1")).where(
        sa.literal_column("x") == sa.bindparam("a"), sa.literal_column("y") == 5
    )
    for dialect, positional in ((db.engine.dialect, False), (sa.create_engine("sqlite://").dialect, True)):
        compiled = stmt.compile(dialect=dialect)
        names = sa_adapter.rendered_bind_names(compiled)
        assert sorted(names.values()) == ["a", "param_1"] if "param_1" in names.values() else ["a", "y_1"]
        order = sa_adapter.parameter_order(compiled)
        assert (order is not None) is positional
        if positional:
            assert sorted(order) == sorted(names.values())


def test_sqlalchemy_connections_announce_statements_to_their_listeners(app):
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    connection = db.session.connection()
    sa.event.listen(connection, "before_cursor_execute", record)
    try:
        sa_adapter.announce_statement(connection, None, "SELECT 1", [])
    finally:
        sa.event.remove(connection, "before_cursor_execute", record)
    assert seen == [("SELECT 1", [])]


def test_flask_sqlalchemy_scoped_session_tells_its_bind_without_making_a_session(app):
    db.session.remove()
    bind = sa_adapter.configured_bind(db.session)
    assert not db.session.registry.has()
    assert isinstance(bind, sa.Connection | sa.Engine)
    assert bind.dialect.name == "postgresql"


def test_redis_connection_exposes_its_parser_and_socket(app):
    connection = redis.ConnectionPool.from_url(app.config["REDIS_URL"], protocol=3).make_connection()
    try:
        connection.connect()
        pushed = []
        redis_py.set_invalidation_handler(connection, pushed.append)
        assert redis_py.connection_socket(connection).fileno() >= 0
        assert redis_py.has_buffered_reply(connection) is False
    finally:
        connection.disconnect()


def test_flask_caching_redis_backend_exposes_its_client(app):
    cache = Cache(config={"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": app.config["REDIS_URL"]})
    cache.init_app(app)
    assert isinstance(flask_caching.redis_client(cache.cache), redis.Redis)
    simple = Cache(config={"CACHE_TYPE": "SimpleCache"})
    simple.init_app(app)
    assert flask_caching.redis_client(simple.cache) is None


class _Hooked(ma.Schema):
    n = ma.fields.Integer()

    @ma.pre_load
    def _before(self, data, **kwargs):
        return data

    @ma.post_load
    def _after(self, data, **kwargs):
        return data


class _Checked(ma.Schema):
    a = ma.fields.Integer()

    @ma.validates_schema
    def _plain(self, data, **kwargs):
        pass

    @ma.validates_schema(pass_original=True, skip_on_field_errors=False)
    def _original(self, data, original, **kwargs):
        pass


def test_marshmallow_schema_classes_keep_their_schema_validators():
    validators = {name: (pass_many, options) for name, pass_many, options in ma_adapter.schema_validators(_Checked())}
    assert set(validators) == {"_plain", "_original"}
    assert validators["_plain"][0] is False and validators["_plain"][1].get("pass_original") is False
    assert validators["_original"][1]["pass_original"] is True
    assert validators["_original"][1]["skip_on_field_errors"] is False
    assert ma_adapter.schema_validators(ma.Schema()) == []


def test_marshmallow_schema_classes_keep_their_decorated_hooks():
    hooks = ma_adapter.decorated_hooks(_Hooked())
    assert hooks[PRE_LOAD] == ["_before"] and hooks[POST_LOAD] == ["_after"]
    assert ma_adapter.decorated_hooks(ma.Schema()).get(PRE_LOAD, []) == []


def test_webargs_parser_calls_its_hooks(app):
    class Probe(webargs_adapter.HookedFlaskParser):
        asked: list[str] = []

        def schema_for(self, argmap, req):
            self.asked.append("schema")
            return super().schema_for(argmap, req)

        def raw_json(self, req):
            self.asked.append("json")
            return super().raw_json(req)

    with app.test_request_context("/?n=1", method="POST", json={"n": 2}):
        parser = Probe()
        assert parser.parse({"n": ma.fields.Integer()}, location="query") == {"n": 1}
        assert parser.parse({"n": ma.fields.Integer()}, location="json") == {"n": 2}
    assert Probe.asked == ["schema", "schema", "json"]
    assert webargs_adapter.unknown_given({}) is False
    assert webargs_adapter.unknown_given({"unknown": None}) is True
    assert isinstance(Probe(), FlaskParser)


def test_flask_smorest_builds_the_pagination_header_through_the_overridable_method():
    assert smorest_adapter.PaginationHeaderBlueprint.pagination_metadata(2, 10, 25) == {
        "total": 25,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 2,
        "previous_page": 1,
        "next_page": 3,
    }
    defined = {name for cls in flask_smorest.Blueprint.__mro__ for name in vars(cls)}
    assert {"_make_pagination_metadata", "_document_pagination_metadata"} <= defined


@pytest.mark.parametrize("library", ["sqlalchemy", "flask_sqlalchemy", "redis", "flask_caching", "webargs"])
def test_the_adapted_libraries_are_the_pinned_versions(library):
    """The adapters were written against these versions (requirements/base.txt): an upgrade re-reads them."""
    pinned = {
        "sqlalchemy": "2.1.9",
        "flask_sqlalchemy": "3.1.1",
        "redis": "8.1.0",
        "flask_caching": "2.5.1",
        "webargs": "8.7.1",
    }
    distribution = {
        "sqlalchemy": "SQLAlchemy",
        "flask_sqlalchemy": "Flask-SQLAlchemy",
        "flask_caching": "Flask-Caching",
    }
    assert importlib.metadata.version(distribution.get(library, library)) == pinned[library]
