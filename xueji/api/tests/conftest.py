"""The registration tests' world (first-grade classes, the population registry knowing the
generated pupils) for the API tests."""

from xueji.registration.tests.conftest import reg  # noqa: F401
