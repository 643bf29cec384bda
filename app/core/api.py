"""flask-smorest as the house uses it: a strict argument parser and pagination defaults."""

from __future__ import annotations

import typing

import flask_smorest
import marshmallow as ma
from flask import Request
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.routing import IntegerConverter

from app.core.errors import BadRequest

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_ID = 2**31 - 1  # ids are PostgreSQL integers: a larger one cannot exist


class IdConverter(IntegerConverter):
    """`<id:name>` in a route: a positive database id; anything else (or too large) is a 404."""

    def __init__(self, url_map, **kwargs):
        super().__init__(url_map, min=1, max=MAX_ID)


class StrictParser(FlaskParser):
    """Reject unknown fields in every location and bodies that are not JSON."""

    DEFAULT_UNKNOWN_BY_LOCATION: typing.ClassVar[dict[str, str | None]] = dict.fromkeys(
        FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, None
    )

    def _raw_load_json(self, req: Request) -> typing.Any:
        if not req.get_data(cache=True):
            raise BadRequest("The request needs a JSON body.")
        if not req.is_json:
            raise BadRequest("The request body must be JSON (Content-Type: application/json).")
        return core.parse_json(req.get_data(cache=True))

    def _handle_invalid_json_error(self, error, req, *args, **kwargs) -> typing.NoReturn:
        raise BadRequest("The request body is not valid JSON.")


class Blueprint(flask_smorest.Blueprint):
    """A domain's blueprint: strict parsing and the API's page sizes."""

    ARGUMENTS_PARSER = StrictParser()

    def paginate(self, pager=None, *, page: int = 1, page_size: int = PAGE_SIZE, max_page_size: int = MAX_PAGE_SIZE):
        """Page-number a list: `page` (1-based), `page_size` (default 20, at most 100)."""
        return super().paginate(pager, page=page, page_size=page_size, max_page_size=max_page_size)


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
        from webargs.multidictproxy import MultiDictProxy
        from werkzeug.datastructures import MultiDict

        raw = data.data if isinstance(data, MultiDictProxy) else data
        items = raw.items(multi=True) if isinstance(raw, MultiDict) else raw.items()
        kept = MultiDict([(k, v) for k, v in items if k not in PAGINATION_KEYS])
        return MultiDictProxy(kept, self)
