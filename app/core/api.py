"""flask-smorest as the house uses it: a strict argument parser and pagination defaults."""

from __future__ import annotations

import typing

import flask_smorest
import marshmallow as ma
from flask import Request
from flask_smorest.pagination import PaginationParameters
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA
from webargs import core
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from app.core.errors import BadRequest

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_ID = 2**31 - 1  # ids are PostgreSQL integers: a larger one cannot exist


class IdConverter(IntegerConverter):
    """`<id:name>` in a route: a positive database id; anything else (or too large) is a 404."""

    def __init__(self, url_map, **kwargs):
        super().__init__(url_map, min=1, max=MAX_ID)


class SchemaInstanceParser(FlaskParser):
    """Build each argument schema once, not on every request (webargs instantiates a class per parse).

    Loading is reentrant in marshmallow 4, so one instance serves every request and thread.
    """

    def __init__(self, *args: typing.Any, **kwargs: typing.Any) -> None:
        super().__init__(*args, **kwargs)
        self._instances: dict[type[ma.Schema], ma.Schema] = {}

    def _get_schema(self, argmap: typing.Any, req: Request) -> ma.Schema:
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._instances.get(argmap)
            if schema is None:
                schema = self._instances[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)


class PageParser(SchemaInstanceParser):
    """flask-smorest's page parameters, read field by field: the same values and errors, a tenth of the work.

    Each of `page`/`page_size` goes through its own field of flask-smorest's schema (conversion and range
    validators, `load_default` when absent), then into `PaginationParameters` as the schema's `post_load`
    does. Anything a field refuses is parsed again the full way, so errors are exactly webargs' 422s.
    (A whole schema load was ~7% of an uncached list request.)
    """

    def parse(self, argmap: typing.Any, req: Request | None = None, **kwargs: typing.Any) -> typing.Any:
        schema = self._get_schema(argmap, req)
        args = (req if req is not None else self.get_default_request()).args
        values = {}
        try:
            for name, field in schema.load_fields.items():
                raw = args.get(name)
                if raw is not None:
                    values[name] = field.deserialize(raw, name, args)
                elif field.load_default is not ma.missing:
                    default = field.load_default
                    values[name] = default() if callable(default) else default
        except ma.ValidationError:
            return super().parse(argmap, req, **kwargs)
        return PaginationParameters(**values)


class StrictParser(SchemaInstanceParser):
    """Reject unknown fields in every location and bodies that are not JSON.

    Query strings are read field by field when the schema has no hooks that look across fields (the page
    schemas' own pre-load, which lets the pager's keys through, aside): each value goes through its field's
    `deserialize` (conversion and validators), absent fields take their `load_default`. An unknown key, a
    missing required field or a refused value is parsed again the full way, so every error is webargs' own;
    the two ways are held equal on every query schema of the API (tests/core/test_api_parsing.py). A whole
    schema load was ~10% of an uncached list request.
    """

    DEFAULT_UNKNOWN_BY_LOCATION: typing.ClassVar[dict[str, str | None]] = dict.fromkeys(
        FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, None
    )

    def __init__(self, *args: typing.Any, **kwargs: typing.Any) -> None:
        super().__init__(*args, **kwargs)
        self._field_maps: dict[typing.Any, _FieldMap | None] = {}

    def parse(self, argmap: typing.Any, req: Request | None = None, **kwargs: typing.Any) -> typing.Any:
        plain_call = kwargs.get("unknown", core._UNKNOWN_DEFAULT_PARAM) is core._UNKNOWN_DEFAULT_PARAM
        # Only for schemas that live as long as the app (a class or an instance): a map is kept per argmap.
        durable = isinstance(argmap, ma.Schema) or (isinstance(argmap, type) and issubclass(argmap, ma.Schema))
        if durable and kwargs.get("location") == "query" and kwargs.get("validate") is None and plain_call:
            field_map = self._field_maps.get(argmap, False)
            if field_map is False:
                field_map = self._field_maps[argmap] = _FieldMap.of(self._get_schema(argmap, req))
            if field_map is not None:
                loaded = field_map.load((req if req is not None else self.get_default_request()).args)
                if loaded is not None:
                    return loaded
        return super().parse(argmap, req, **kwargs)

    def _raw_load_json(self, req: Request) -> typing.Any:
        if not req.get_data(cache=True):
            raise BadRequest("The request needs a JSON body.")
        if not req.is_json:
            raise BadRequest("The request body must be JSON (Content-Type: application/json).")
        return core.parse_json(req.get_data(cache=True))

    def _handle_invalid_json_error(self, error, req, *args, **kwargs) -> typing.NoReturn:
        raise BadRequest("The request body is not valid JSON.")


class _FieldMap:
    """A query schema's fields by input key, for loading a query string field by field (`StrictParser`)."""

    def __init__(self, schema: ma.Schema, skipped: tuple[str, ...]) -> None:
        self.skipped = skipped
        multiple = MultiDictProxy({}, schema).multiple_keys  # the keys webargs reads as lists
        self.by_key = {}
        for name, field in schema.load_fields.items():
            key = field.data_key or name
            self.by_key[key] = (name, field, key in multiple)
        self.fields = list(schema.load_fields.items())

    @classmethod
    def of(cls, schema: ma.Schema) -> _FieldMap | None:
        """The map, or None when the schema has hooks a field-by-field load would skip."""
        hooks = type(schema)._hooks  # marshmallow's registry of decorated methods
        pre_load = [name for name, *_ in hooks.get(PRE_LOAD, [])]
        if any(hooks.get(tag) for tag in (POST_LOAD, VALIDATES, VALIDATES_SCHEMA)):
            return None
        if pre_load not in ([], ["_drop_pagination"]):
            return None
        return cls(schema, PAGINATION_KEYS if pre_load else ())

    def load(self, args: typing.Any) -> dict[str, typing.Any] | None:
        """The loaded values, or None when the full parse must answer (unknown key, missing or refused value)."""
        loaded: dict[str, typing.Any] = {}
        try:
            for key in args:
                if key in self.skipped:
                    continue
                entry = self.by_key.get(key)
                if entry is None:
                    return None
                name, field, multiple = entry
                loaded[name] = field.deserialize(args.getlist(key) if multiple else args[key], key, args)
        except ma.ValidationError:
            return None
        for name, field in self.fields:
            if name in loaded:
                continue
            if field.required:
                return None
            if field.load_default is not ma.missing:
                default = field.load_default
                loaded[name] = default() if callable(default) else default
        return loaded


class Blueprint(flask_smorest.Blueprint):
    """A domain's blueprint: strict parsing, the API's page sizes, and request bodies documented by example."""

    ARGUMENTS_PARSER = StrictParser()
    PAGINATION_ARGUMENTS_PARSER = PageParser()

    def arguments(self, schema: typing.Any, *, location: str = "json", **kwargs: typing.Any) -> typing.Callable:
        """flask-smorest's `arguments`; a JSON body's schema that has an `EXAMPLE` dict gives the docs' example."""
        example = getattr(schema, "EXAMPLE", None)
        if location == "json" and example is not None and "example" not in kwargs and "examples" not in kwargs:
            kwargs["example"] = example
        return super().arguments(schema, location=location, **kwargs)

    def paginate(self, pager=None, *, page: int = 1, page_size: int = PAGE_SIZE, max_page_size: int = MAX_PAGE_SIZE):
        """Page-number a list: `page` (1-based), `page_size` (default 20, at most 100)."""
        return super().paginate(pager, page=page, page_size=page_size, max_page_size=max_page_size)

    @staticmethod
    def _make_pagination_metadata(page: int, page_size: int, item_count: int) -> dict[str, int]:
        """flask-smorest's X-Pagination fields, built without a schema per request (the same keys and values)."""
        if item_count == 0:
            return {"total": 0, "total_pages": 0}
        last_page = (item_count - 1) // page_size + 1
        metadata = {"total": item_count, "total_pages": last_page, "first_page": 1, "last_page": last_page}
        if page <= last_page:
            metadata["page"] = page
            if page > 1:
                metadata["previous_page"] = page - 1
            if page < last_page:
                metadata["next_page"] = page + 1
        return metadata


class Schema(ma.Schema):
    """Base schema: unknown fields are an error, never silently dropped."""

    class Meta:
        unknown = ma.RAISE


PAGINATION_KEYS = ("page", "page_size")


class PageQueryArgsSchema(Schema):
    """Query args of a page-numbered list: unknown keys are a 422, the pager's own keys pass."""

    @ma.pre_load
    def _drop_pagination(self, data, **kwargs):
        if not any(key in data for key in PAGINATION_KEYS):
            return data
        raw = data.data if isinstance(data, MultiDictProxy) else data
        items = raw.items(multi=True) if isinstance(raw, MultiDict) else raw.items()
        kept = MultiDict([(k, v) for k, v in items if k not in PAGINATION_KEYS])
        return MultiDictProxy(kept, self)
