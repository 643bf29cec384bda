"""flask-smorest as the house uses it: a strict argument parser and pagination defaults."""

from __future__ import annotations

import typing
from datetime import date, datetime
from http import HTTPStatus

import flask_smorest
import marshmallow as ma
from apispec import APISpec, BasePlugin
from flask import Request, request
from flask_smorest.pagination import PaginationParameters
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA
from webargs import core
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BaseConverter, IntegerConverter, ValidationError

from app.core.errors import AppError, BadRequest, Invalid, NotFound
from app.core.json import UntrustedJSON, check_untrusted, load_untrusted
from app.core.serialization import compile_dumper

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_ID = 2**31 - 1  # ids are PostgreSQL integers: a larger one cannot exist
INTEGER_RANGE = (-(2**31), MAX_ID)  # what an integer column holds: every integer field's default bounds
EMAIL_MAX_LENGTH = 254  # RFC 5321's longest path, the email columns' length
# Dates and timestamps the API takes: far from the calendar's edges, where a time zone or a day added overflows.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)


def parse_id(text: str) -> int | None:
    """The id a text names (ASCII digits within the id range), or None."""
    if not (0 < len(text) <= 10 and text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


class IdConverter(IntegerConverter):
    """`<id:name>` in a route: a positive database id in ASCII digits; anything else (or too large) is a 404.

    werkzeug's `\\d` also matches digits `int()` refuses (`¹`, `➎`): only `0-9` match here.
    """

    regex = r"[0-9]{1,10}"

    def __init__(self, url_map, **kwargs):
        super().__init__(url_map, min=1, max=MAX_ID)


class UserRefConverter(BaseConverter):
    """`<user_ref:name>`: `me` or a user's id (ASCII digits, within the id range); the route gets the text."""

    regex = r"me|[0-9]{1,10}"

    def to_python(self, value: str) -> str:
        if value != "me" and not 0 < int(value) <= MAX_ID:
            raise ValidationError()
        return value


def user_ref_schema(converter: UserRefConverter) -> dict:
    """The OpenAPI schema of a `user_ref` path parameter."""
    return {"oneOf": [{"type": "string", "enum": ["me"]}, {"type": "integer", "minimum": 1, "maximum": MAX_ID}]}


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
            parameters = PaginationParameters(**values)
        except ma.ValidationError:
            parameters = super().parse(argmap, req, **kwargs)
        if parameters.page > MAX_ID:  # its OFFSET would overflow: no list has that many pages
            raise Invalid(f"Must be less than or equal to {MAX_ID}.", field="page", location="query")
        return parameters


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
        try:
            return load_untrusted(req.get_data(cache=True))
        except UntrustedJSON as error:
            raise refusal(error, "json") from None
        except ValueError:
            raise BadRequest("The request body is not valid JSON.") from None

    def pre_load(self, location_data: typing.Any, *, schema: ma.Schema, req: Request, location: str) -> typing.Any:
        """A JSON body's values must have their fields' JSON types (`"5"` is no integer, `0` no boolean)."""
        if location == "json":
            errors = json_type_errors(schema, location_data)
            if errors:
                raise Invalid("Validation failed.", errors={"json": errors})
        return location_data

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


PAGINATION_HEADER_DOC = {
    "description": "Pagination metadata, a JSON object in the header's text: "
    '`{"total": 42, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 2, '
    '"previous_page": 1, "next_page": 3}` (the page keys only when the list has items).',
    "schema": {"type": "string"},
}


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

    def rate_limited(self) -> typing.Callable:
        """Document a 429 with `Retry-After` on a rate-limited operation (a decorator)."""
        return self.alt_response(
            429,
            schema=ErrorSchema,
            description="Rate limited: retry after `Retry-After` seconds.",
            headers={"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
        )

    def needs_configuration(self, description: str) -> typing.Callable:
        """Document a 501 (`NotConfigured`) on an operation needing an outside service a server may not have set up."""
        return self.alt_response(501, schema=ErrorSchema, description=description)

    def _document_pagination_metadata(self, spec: APISpec, resp_doc: dict) -> None:
        """Document `X-Pagination` as what it is on the wire: a string holding a JSON object."""
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = PAGINATION_HEADER_DOC

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


# A field's messages: a list of texts, or (for nested objects and lists) the same by key or index.
FIELD_ERRORS_REF = {"$ref": "#/components/schemas/FieldErrors"}
FIELD_ERRORS = {
    "oneOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "additionalProperties": FIELD_ERRORS_REF},
    ]
}


class ErrorSchema(ma.Schema):
    """API.md §0's error body (documentation only: `errors.handle_*` write it)."""

    code = ma.fields.Integer(required=True, metadata={"description": "The HTTP status code."})
    status = ma.fields.String(required=True, metadata={"description": "The status's reason phrase."})
    message = ma.fields.String(required=True, metadata={"description": "What went wrong, for people."})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(metadata={"allOf": [FIELD_ERRORS_REF]})),
        metadata={
            "description": "Validation errors by location (`json`, `query`, `files`) and field: "
            '`{"json": {"email": ["Not a valid email address."], "items": {"0": {"reps": ["..."]}}}}`.'
        },
    )


class ErrorResponsesPlugin(BasePlugin):
    """Document on every operation the errors it can answer (API.md §0), all in the one error shape.

    401/403 where a token is needed, 404 where a path or a body names objects, 400/413 with a body, 409 on
    writes, 422 with a body or query parameters, 503 everywhere (Redis unreachable).
    A route adds the rest itself (429 where a rate limit applies, 401 on login, 501 where a provider may be unset).
    """

    def init_spec(self, spec: APISpec) -> None:
        """Keep the spec, to reference its response components."""
        self.spec = spec

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: typing.Any) -> None:
        """Add the error responses that apply to each operation of a path."""
        for method, operation in (operations or {}).items():
            codes = {503}
            body = "requestBody" in operation
            if operation.get("security") != []:
                codes |= {401, 403}
            if "{" in (path or "") or body:
                codes.add(404)
            if body:
                codes |= {400, 413, 422}
            if method in ("post", "put", "patch", "delete"):
                codes.add(409)
            if any(p.get("in") == "query" for p in operation.get("parameters", []) if isinstance(p, dict)):
                codes.add(422)
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                if str(code) not in responses and code not in responses:
                    responses[str(code)] = self.spec.components.get_ref("response", HTTPStatus(code).name)


class Api(flask_smorest.Api):
    """The API: path converters for ids, the error schema and the documented error responses."""

    ERROR_SCHEMA = ErrorSchema

    def init_app(self, app: typing.Any, *args: typing.Any, **kwargs: typing.Any) -> None:
        """Bind to the app and register the id converters (route and OpenAPI)."""
        app.url_map.converters["id"] = IdConverter
        app.url_map.converters["user_ref"] = UserRefConverter
        super().init_app(app, *args, **kwargs)
        self.register_converter(UserRefConverter, user_ref_schema)
        self.spec.components.schema("FieldErrors", FIELD_ERRORS)
        plugin = ErrorResponsesPlugin()
        plugin.init_spec(self.spec)
        self.spec.plugins.append(plugin)
        app.before_request(refuse_hostile_urls)


class Schema(ma.Schema):
    """Base schema: unknown fields are an error, never silently dropped; values fit where they are stored.

    Dumping goes through the schema compiled once into a plain dumper (`app/core/serialization.py`): the same
    output as marshmallow's, for responses and socket payloads alike.

    Each field is bound with the API's default bounds (`on_bind_field`): integers within a PostgreSQL integer,
    dates and timestamps within FIRST_DAY..LAST_DAY, emails within their column. A field's own bounds win.
    """

    class Meta:
        unknown = ma.RAISE

    def on_bind_field(self, field_name: str, field_obj: ma.fields.Field) -> None:
        """Give the field (or a list's items) the API's default bounds."""
        bound_field(field_obj.inner if isinstance(field_obj, ma.fields.List) else field_obj)

    def dump(self, obj: typing.Any, *, many: bool | None = None) -> typing.Any:
        """marshmallow's dump, through the schema's compiled dumper (`app/core/serialization.py`)."""
        return compile_dumper(self).dump(obj, self.many if many is None else many)


def bound_field(field: ma.fields.Field) -> None:
    """Add the API's default bounds to a field that declares none of its own (see `Schema`)."""
    own = [v for v in field.validators if isinstance(v, ma.validate.Range | ma.validate.Length)]
    if isinstance(field, ma.fields.Integer) and not any(v.max is not None for v in own):
        low = max([v.min for v in own if v.min is not None], default=INTEGER_RANGE[0])
        field.validators.append(ma.validate.Range(min=low, max=INTEGER_RANGE[1]))
    elif isinstance(field, ma.fields.Email) and not own:
        field.validators.append(ma.validate.Length(max=EMAIL_MAX_LENGTH))
    elif isinstance(field, ma.fields.Date | ma.fields.DateTime):
        field.validators.append(check_calendar_range)


def check_calendar_range(value: date | datetime) -> None:
    """Refuse a date or timestamp outside FIRST_DAY..LAST_DAY (a marshmallow validator)."""
    day = value.date() if isinstance(value, datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ma.ValidationError(f"Must fall between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}.")


_JSON_TYPES: tuple[tuple[type[ma.fields.Field], tuple[type, ...], str], ...] = (
    (ma.fields.Boolean, (bool,), "Not a valid boolean."),
    (ma.fields.Integer, (int, float), "Not a valid integer."),
    (ma.fields.Number, (int, float), "Not a valid number."),
)


def json_type_errors(schema: ma.Schema, data: typing.Any) -> dict:
    """Field errors for JSON values of the wrong type, which marshmallow would coerce (`"5"`, `0` for false)."""
    if not isinstance(data, dict):
        return {}
    errors: dict = {}
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        if key in data:
            error = _json_type_error(field, data[key])
            if error:
                errors[key] = error
    return errors


def _json_type_error(field: ma.fields.Field, value: typing.Any) -> typing.Any:
    if value is None:
        return None
    for field_type, json_types, message in _JSON_TYPES:
        if isinstance(field, field_type):
            ok = isinstance(value, json_types) and (field_type is ma.fields.Boolean or not isinstance(value, bool))
            if ok and field_type is ma.fields.Integer and isinstance(value, float):
                ok = value.is_integer()  # 1.0 is an integer in JSON; 1.5 is not (marshmallow would make it 1)
            return None if ok else [message]
    if isinstance(field, ma.fields.Nested) and isinstance(value, list | dict):
        items = value if isinstance(value, list) and field.many else [value] if isinstance(value, dict) else []
        errors = {i: e for i, item in enumerate(items) if (e := json_type_errors(field.schema, item))}
        return (errors if field.many else errors.get(0)) or None
    if isinstance(field, ma.fields.List) and isinstance(value, list):
        errors = {i: e for i, item in enumerate(value) if (e := _json_type_error(field.inner, item))}
        return errors or None
    return None


def refusal(error: UntrustedJSON, location: str) -> AppError:
    """The API error for hostile JSON: a 400 when nested too deep, else a 422 naming the field."""
    if error.too_deep:
        return BadRequest(error.message)
    return Invalid(error.message, errors={location: error.errors()})


def refuse_hostile_urls() -> None:
    """Refuse a NUL in a request's path (404) or query string (422 naming the parameter): a `before_request`."""
    if "\x00" in request.path:
        raise NotFound()
    for key, value in request.args.items(multi=True):
        try:
            check_untrusted([key, value])
        except UntrustedJSON as error:
            raise Invalid(error.message, field=key.replace("\x00", ""), location="query") from None


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
