import pytest
from finetune_doubles import JitterAugmenter


@pytest.fixture(autouse=True)
def _reset_fit_counter():
    JitterAugmenter.n_fits = 0
    yield
