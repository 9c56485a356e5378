"""The problem-group tests use the record-writer fixtures (classes, pupils)."""

from xueji.students.tests.conftest import place  # noqa: F401  (the fixture)

from .handling_support import hp  # noqa: F401,E402  (the handling fixture)
