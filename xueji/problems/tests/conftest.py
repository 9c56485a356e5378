"""The problem-group tests use the record-writer fixtures (classes, pupils)."""

from xueji.students.tests.conftest import place  # noqa: F401  (the fixture)
