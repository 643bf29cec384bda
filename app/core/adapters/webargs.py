"""webargs internals the API's parsers rely on (tests/core/test_adapters.py pins them).

webargs offers its hooks as underscore methods (`_get_schema`, `_raw_load_json`, `_handle_invalid_json_error`)
and marks "no `unknown` given" with a private sentinel. `HookedFlaskParser` overrides those hooks once, here,
and hands them to methods with public names that `app/core/api.py`'s parsers define.
"""

from __future__ import annotations

import typing

import marshmallow as ma
from flask import Request
from webargs import core
from webargs.flaskparser import FlaskParser


def unknown_given(kwargs: dict[str, typing.Any]) -> bool:
    """Whether a `parse` call named its own `unknown` policy (webargs' sentinel marks "not given")."""
    return kwargs.get("unknown", core._UNKNOWN_DEFAULT_PARAM) is not core._UNKNOWN_DEFAULT_PARAM


class HookedFlaskParser(FlaskParser):
    """webargs' Flask parser whose underscore hooks call `schema_for`, `raw_json` and `invalid_json`."""

    def schema_for(self, argmap: typing.Any, req: Request | None) -> ma.Schema:
        """The schema an argmap (a schema class or instance, a dict, a callable) parses with: webargs' own."""
        return super()._get_schema(argmap, req)

    def raw_json(self, req: Request) -> typing.Any:
        """A request's JSON body as webargs reads it."""
        return super()._raw_load_json(req)

    def invalid_json(self, error: Exception, req: Request) -> typing.NoReturn:
        """Answer a body that is not JSON (webargs' own answer)."""
        super()._handle_invalid_json_error(error, req)

    def _get_schema(self, argmap: typing.Any, req: Request) -> ma.Schema:
        return self.schema_for(argmap, req)

    def _raw_load_json(self, req: Request) -> typing.Any:
        return self.raw_json(req)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs) -> typing.NoReturn:
        self.invalid_json(error, req)
