"""flask-smorest as the house uses it: a strict argument parser and pagination defaults."""

from __future__ import annotations

import typing
from datetime import date, datetime
from http import HTTPStatus

import flask_smorest
import marshmallow as ma
from apispec import APISpec, BasePlugin
from flask import request
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BaseConverter, IntegerConverter, ValidationError

from app.core.adapters.flask_smorest import PaginationHeaderBlueprint
from app.core.errors import Invalid, NotFound
from app.core.json import UntrustedJSON, check_untrusted
from app.core.parsing import MAX_ID, PAGINATION_KEYS, PageParser, StrictParser
from app.core.serialization import compile_dumper

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
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


PAGINATION_HEADER_DOC = {
    "description": "Pagination metadata, a JSON object in the header's text: "
    '`{"total": 42, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 2, '
    '"previous_page": 1, "next_page": 3}` (the page keys only when the list has items).',
    "schema": {"type": "string"},
}


class Blueprint(PaginationHeaderBlueprint):
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

    def pagination_header_doc(self) -> dict:
        """Document `X-Pagination` as what it is on the wire: a string holding a JSON object."""
        return PAGINATION_HEADER_DOC

    @staticmethod
    def pagination_metadata(page: int, page_size: int, item_count: int) -> dict[str, int]:
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


def refuse_hostile_urls() -> None:
    """Refuse a NUL in a request's path (404) or query string (422 naming the parameter): a `before_request`."""
    if "\x00" in request.path:
        raise NotFound()
    raw = request.query_string
    if raw.isascii() and b"%" not in raw:  # plain ASCII without escapes holds no NUL and no lone surrogate
        return
    for key, value in request.args.items(multi=True):
        try:
            check_untrusted([key, value])
        except UntrustedJSON as error:
            raise Invalid(error.message, field=key.replace("\x00", ""), location="query") from None


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
