"""A population registry that answers slowly (for the worker tests: an import then takes
long enough to be killed in the middle)."""

import os
import time

from xueji.registration.adapters import SimulatedPopulationRegistry


class SlowPopulationRegistry(SimulatedPopulationRegistry):
    def verify(self, people):
        time.sleep(float(os.environ.get("XUEJI_TEST_REGISTRY_DELAY", "0.5")))
        return super().verify(people)
