"""The registration tests' world (first-grade classes, the population registry knowing the
generated pupils) and the 日常管理 tests' pupils (``place``) and transfer schools
(``people``), the 毕业 (``grad``) and 升级 (``schools``) fixtures for the API tests."""

from xueji.changes.tests.conftest import people, place  # noqa: F401
from xueji.graduation.tests.conftest import grad  # noqa: F401
from xueji.promotion.tests.conftest import schools  # noqa: F401
from xueji.registration.tests.conftest import reg  # noqa: F401
