"""flask-smorest internals the API's pagination header relies on (tests/core/test_adapters.py pins them).

flask-smorest builds the `X-Pagination` header and documents it in two underscore methods of its Blueprint;
`PaginationHeaderBlueprint` overrides them here and hands them to `pagination_metadata` and
`pagination_header_doc`, which `app/core/api.py`'s Blueprint defines.
"""

from __future__ import annotations

import flask_smorest
from apispec import APISpec


class PaginationHeaderBlueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint whose pagination header is built and documented by public-named methods."""

    @staticmethod
    def pagination_metadata(page: int, page_size: int, item_count: int) -> dict[str, int]:
        """The X-Pagination fields of a page (flask-smorest's, through its schema)."""
        return flask_smorest.Blueprint._make_pagination_metadata(page, page_size, item_count)

    def pagination_header_doc(self) -> dict:
        """The OpenAPI description of the X-Pagination header."""
        return {"description": "Pagination metadata", "schema": {"type": "string"}}

    def _make_pagination_metadata(self, page: int, page_size: int, item_count: int) -> dict[str, int]:
        return self.pagination_metadata(page, page_size, item_count)

    def _document_pagination_metadata(self, spec: APISpec, resp_doc: dict) -> None:
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = self.pagination_header_doc()
