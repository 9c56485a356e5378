"""No route answers 500 to a bad id (issue 7 §6). Every URL pattern of the project is
found by walking the URL configuration (later features are covered without being
listed) and requested

1. with 'abc', a number too large for any key, a negative number and 0 in each of its
   parameters, as GET and as POST;
2. with each query parameter and each form field the view reads (found by watching the
   view read ``request.GET`` / ``request.POST``) set to 'abc' and to a huge number, one
   at a time (several at once could hide one another behind the first refusal) — or,
   for a view that reads many (a Django form, which checks every field), all at once;

by a user of each role and by an anonymous visitor. 400, 403, 404 and redirects are all
fine; a 500 is not."""

from __future__ import annotations

import re

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from xueji.accounts.models import Role

PATH_VALUES = ["abc", "99999999999999999999", "-1", "0"]
PARAM_VALUES = ["abc", "99999999999999999999"]

_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_INT = re.compile(r"<int:\w+>")
_OTHER = re.compile(r"<(?!int:)(?:\w+:)?\w+>")
#: Marks the query dict whose reads are watched (the GET of a GET, the POST of a POST).
PROBE = "_probe"
#: A view that reads more keys than this is a Django form (which validates each field
#: itself, every field at once): its keys are set to a bad value all together.
FORM_KEYS = 6
#: Views whose reads are not parameters of their own (the OpenAPI generator).
NOT_PROBED = ("/api/v1/schema/",)


def _routes(patterns, prefix=""):
    for pattern in patterns:
        text = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + text)
        elif isinstance(pattern, URLPattern):
            yield prefix + text


def _paths(route: str) -> list[str]:
    """The route with each bad value in every parameter (format suffixes left out: the
    same views as without them). An ``<int:…>`` parameter only ever receives digits (the
    resolver turns 'abc' and '-1' away itself), so it gets the huge number and 0."""
    if "(?P<format>" in route or "<drf_format_suffix:format>" in route:
        return []
    route = route.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")
    if not _GROUP.search(route) and not _CONVERTER.search(route):
        return ["/" + route]
    paths = set()
    for value in PATH_VALUES:
        if not value.isdigit() and _INT.search(route) and not _GROUP.search(route) and not _OTHER.search(route):
            continue
        paths.add("/" + _CONVERTER.sub(value, _GROUP.sub(value, route)))
    return sorted(paths)


def all_paths() -> list[str]:
    paths = []
    for route in _routes(get_resolver().url_patterns):
        paths.extend(_paths(route))
    return sorted(set(paths))


class _Reads:
    """The keys a view reads from the query dict that carries :data:`PROBE` (its
    ``request.GET`` for a GET, its ``request.POST`` for a POST)."""

    def __init__(self, monkeypatch):
        self.keys: set[str] = set()
        self.on = False
        for name in ("get", "getlist", "__getitem__", "__contains__"):
            original = getattr(QueryDict, name)
            monkeypatch.setattr(QueryDict, name, self._wrap(original))

    def _wrap(self, original):
        reads = self

        def spy(querydict, key, *args, **kwargs):
            if reads.on and isinstance(key, str) and dict.__contains__(querydict, PROBE):
                reads.keys.add(key)
            return original(querydict, key, *args, **kwargs)
        return spy

    def watch(self, call):
        self.keys, self.on = set(), True
        try:
            response = call()
        finally:
            self.on = False
        return response, self.keys - {"csrfmiddlewaretoken", PROBE}


ROLES = [None, *[r.value for r in Role]]


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_no_route_answers_500_to_bad_ids(world, role, monkeypatch):
    user = None if role is None else next(u for u in vars(world.users).values() if u.role == role)
    client = Client(raise_request_exception=False)
    reads = _Reads(monkeypatch)
    failures = []

    def check(method, path, data):
        response = getattr(client, method)(path, data)
        if response.status_code >= 500:
            failures.append(f"{method.upper()} {path} {data} → {response.status_code}")
        return response

    paths = all_paths()
    assert len(paths) > 60  # the walk found the project's routes
    if user is not None:
        client.force_login(user)
    probed = 0
    for path in paths:
        if path.endswith("/logout/"):
            continue  # would end the session the rest of the walk needs
        for method in ("get", "post"):
            _, keys = reads.watch(lambda m=method, p=path: check(m, p, {PROBE: "1"}))
            if path in NOT_PROBED:
                continue
            probed += len(keys)
            if len(keys) > FORM_KEYS:  # a form: its fields are checked together
                for value in PARAM_VALUES:
                    check(method, path, dict.fromkeys(keys, value))
                continue
            for key in sorted(keys):
                for value in PARAM_VALUES:
                    check(method, path, {key: value})
    assert not failures, "\n".join(failures)
    assert probed > 20  # the watch saw the views read their parameters
    if user is not None:  # still logged in: the walk ran as that user throughout
        assert client.get("/").status_code == 200
