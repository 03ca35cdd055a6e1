"""The ``local`` fixture: a local-driver deployment in a process of its own per module."""

import pytest

from tests.functional.local_driver import harness


@pytest.fixture(scope="module")
def local(request):
    """Runs a scenario of the test module there: ``local("_scenario_x", *args)``."""
    with harness.deployment(request.module.__name__) as run:
        yield run
