"""Reading requests: query strings field by field (`QueryLoader`, the one fast way), JSON bodies as untrusted.

`StrictParser` (every argument of a route) and `PageParser` (flask-smorest's page parameters) are webargs
parsers that load a query string through a `QueryLoader`: each value through its own field (conversion,
validators, `load_default`), no schema load per request. Whatever the loader cannot answer (an unknown key,
a missing or refused value) is parsed again the full webargs way, so every error is webargs' own.
"""

from __future__ import annotations

import typing

import marshmallow as ma
from flask import Request
from flask_smorest.pagination import PaginationParameters
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy

from app.core.adapters.marshmallow import decorated_hooks, schema_validators
from app.core.adapters.webargs import HookedFlaskParser, unknown_given
from app.core.errors import AppError, BadRequest, Invalid
from app.core.json import UntrustedJSON, load_untrusted

MAX_ID = 2**31 - 1  # ids are PostgreSQL integers: a larger one cannot exist
PAGINATION_KEYS = ("page", "page_size")


class SchemaInstanceParser(HookedFlaskParser):
    """Build each argument schema once, not on every request (webargs instantiates a class per parse).

    Loading is reentrant in marshmallow 4, so one instance serves every request and thread.
    """

    def __init__(self, *args: typing.Any, **kwargs: typing.Any) -> None:
        super().__init__(*args, **kwargs)
        self._instances: dict[type[ma.Schema], ma.Schema] = {}

    def schema_for(self, argmap: typing.Any, req: Request | None) -> ma.Schema:
        """The one instance of a schema class (other argmaps as webargs makes them)."""
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._instances.get(argmap)
            if schema is None:
                schema = self._instances[argmap] = argmap()
            return schema
        return super().schema_for(argmap, req)


class PageParser(SchemaInstanceParser):
    """flask-smorest's page parameters, read by a `QueryLoader`: the same values and errors, a tenth of the work.

    `page`/`page_size` go through their own fields of flask-smorest's schema (conversion and range validators,
    `load_default` when absent; the route's other keys are its own parser's), then into `PaginationParameters`
    as the schema's `post_load` does. Anything a field refuses is parsed again the full way, so errors are
    exactly webargs' 422s. (A whole schema load was ~7% of an uncached list request.)
    """

    def __init__(self, *args: typing.Any, **kwargs: typing.Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaders: dict[typing.Any, QueryLoader] = {}

    def parse(self, argmap: typing.Any, req: Request | None = None, **kwargs: typing.Any) -> typing.Any:
        """The page parameters of the request's query string (webargs' 422 for a refused value)."""
        loader = self._loaders.get(argmap)
        if loader is None:
            loader = self._loaders[argmap] = QueryLoader(self.schema_for(argmap, req), (), other_keys=True)
        loaded = loader.load((req if req is not None else self.get_default_request()).args)
        parameters = PaginationParameters(**loaded) if loaded is not None else super().parse(argmap, req, **kwargs)
        if parameters.page > MAX_ID:  # its OFFSET would overflow: no list has that many pages
            raise Invalid(f"Must be less than or equal to {MAX_ID}.", field="page", location="query")
        return parameters


class StrictParser(SchemaInstanceParser):
    """Reject unknown fields in every location and bodies that are not JSON.

    Query strings are read field by field when the schema has no load hooks other than schema validators
    (and the page schemas' own pre-load, which lets the pager's keys through): each value goes through its
    field's `deserialize` (conversion and validators), absent fields take their `load_default`, then the
    schema validators check the whole (`QueryLoader.of`). An unknown key, a missing required field or a
    refused value is parsed again the full way, so every error is webargs' own; the two ways are held equal
    on every query schema of the API (tests/core/test_api_parsing.py). A whole schema load was ~10% of an
    uncached list request (and of a cursor list, the feed's, until its one schema validator ran here too).
    """

    DEFAULT_UNKNOWN_BY_LOCATION: typing.ClassVar[dict[str, str | None]] = dict.fromkeys(
        FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, None
    )

    def __init__(self, *args: typing.Any, **kwargs: typing.Any) -> None:
        super().__init__(*args, **kwargs)
        self._field_maps: dict[typing.Any, QueryLoader | None] = {}

    def parse(self, argmap: typing.Any, req: Request | None = None, **kwargs: typing.Any) -> typing.Any:
        plain_call = not unknown_given(kwargs)
        # Only for schemas that live as long as the app (a class or an instance): a map is kept per argmap.
        durable = isinstance(argmap, ma.Schema) or (isinstance(argmap, type) and issubclass(argmap, ma.Schema))
        if durable and kwargs.get("location") == "query" and kwargs.get("validate") is None and plain_call:
            field_map = self._field_maps.get(argmap, False)
            if field_map is False:
                field_map = self._field_maps[argmap] = QueryLoader.of(self.schema_for(argmap, req))
            if field_map is not None:
                loaded = field_map.load((req if req is not None else self.get_default_request()).args)
                if loaded is not None:
                    return loaded
        return super().parse(argmap, req, **kwargs)

    def raw_json(self, req: Request) -> typing.Any:
        """The body as untrusted JSON: present, declared JSON, parseable, and within the decoder's limits."""
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

    def invalid_json(self, error: Exception, req: Request) -> typing.NoReturn:
        """A body that is not JSON: a 400 in the API's shape."""
        raise BadRequest("The request body is not valid JSON.")


class QueryLoader:
    """A query schema's fields by input key, for loading a query string field by field (both parsers).

    `skipped` keys are left to another parser (the pager's); with `other_keys=True` so is every key the schema
    does not name (the page parameters among a route's own), else an unknown key sends the parse the full way.
    """

    def __init__(self, schema: ma.Schema, skipped: tuple[str, ...], *, other_keys: bool = False) -> None:
        self.skipped = skipped
        self.other_keys = other_keys
        # Checks across fields, run as marshmallow runs them once every field loaded (`of` admits only these).
        self.validators = [getattr(schema, name) for name, *_ in schema_validators(schema)]
        self.validator_kwargs = {"partial": schema.partial, "many": False, "unknown": schema.unknown}
        multiple = MultiDictProxy({}, schema).multiple_keys  # the keys webargs reads as lists
        self.by_key = {}
        for name, field in schema.load_fields.items():
            key = field.data_key or name
            self.by_key[key] = (name, field, key in multiple)
        self.fields = list(schema.load_fields.items())

    @classmethod
    def of(cls, schema: ma.Schema) -> QueryLoader | None:
        """The map, or None when the schema has hooks a field-by-field load would skip.

        Schema validators (`validates_schema`: "`before` or `after`, not both") are run on the loaded values,
        as marshmallow runs them; one that wants the raw input or the whole collection sends the schema the
        full way.
        """
        hooks = decorated_hooks(schema)
        pre_load = hooks.get(PRE_LOAD, [])
        if any(hooks.get(tag) for tag in (POST_LOAD, VALIDATES)):
            return None
        if any(pass_many or options.get("pass_original") for _, pass_many, options in schema_validators(schema)):
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
                    if self.other_keys:
                        continue
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
        try:
            for validate in self.validators:
                validate(loaded, **self.validator_kwargs)
        except ma.ValidationError:
            return None
        return loaded


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
