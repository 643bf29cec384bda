"""marshmallow internals the query-string loader relies on (tests/core/test_adapters.py pins them)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow.decorators import VALIDATES_SCHEMA


def decorated_hooks(schema: ma.Schema) -> dict[str, list[str]]:
    """The names of a schema's decorated methods (`pre_load`, `post_load`, `validates`...) by marshmallow's tag
    (`marshmallow.decorators.PRE_LOAD`...): its class's registry `_hooks`."""
    return {tag: [name for name, *_ in hooks] for tag, hooks in type(schema)._hooks.items()}


def schema_validators(schema: ma.Schema) -> list[tuple[str, bool, dict]]:
    """A schema's `validates_schema` methods as `(name, pass_many, options)` (`pass_original`,
    `skip_on_field_errors`), in the order marshmallow runs them: its class's registry `_hooks`."""
    return [(name, pass_many, dict(options)) for name, pass_many, options in type(schema)._hooks[VALIDATES_SCHEMA]]
