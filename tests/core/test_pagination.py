"""Page parameters read field by field give webargs' values and webargs' errors."""

from __future__ import annotations

import pytest
from flask_smorest.pagination import _pagination_parameters_schema_factory
from webargs.flaskparser import FlaskParser

from app.core.parsing import PageParser

SCHEMA = _pagination_parameters_schema_factory(1, 20, 100)


def _both(app, query: str):
    """(PageParser's outcome, webargs' outcome) for a query string: parameters, or the error's code and body."""
    outcomes = []
    for parser in (PageParser(), FlaskParser()):
        with app.test_request_context(f"/?{query}"):
            try:
                params = parser.parse(SCHEMA, location="query")
                outcomes.append((params.page, params.page_size))
            except Exception as error:  # webargs aborts with the 422 (flask-smorest formats it)
                outcomes.append((getattr(error, "code", None), getattr(error, "data", {}).get("messages")))
    return outcomes


@pytest.mark.parametrize(
    "query",
    ["", "page=3", "page_size=100", "page=2&page_size=5", "page=2&page=9", "other=1&page=4", "page=007"],
)
def test_valid_parameters_read_as_webargs_reads_them(app, query):
    fast, full = _both(app, query)
    assert fast == full and isinstance(fast[0], int)


@pytest.mark.parametrize("query", ["page=0", "page_size=101", "page_size=0", "page=x", "page=", "page_size=1.5"])
def test_refused_parameters_give_webargs_errors(app, query):
    fast, full = _both(app, query)
    assert fast == full and fast[0] == 422


def test_a_list_answers_bad_page_parameters_with_the_apis_422(client, login, user):
    headers = login(user)
    response = client.get("/api/exercises?page_size=101", headers=headers)
    assert response.status_code == 422
    assert "page_size" in response.get_json()["errors"]["query"]
    assert client.get("/api/exercises?page=2&page_size=1", headers=headers).status_code == 200
