import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted exactly, in their English msgids, whatever catalogue exists.
    with translation.override("en"):
        yield
