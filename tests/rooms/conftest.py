"""Three staff members the rooms tests talk among (no tags: rooms need none); Ann's
address makes "@ann.a" a mention of her."""

import pytest


@pytest.fixture
def ann(make_staff):
    return make_staff(name="Ann Agent", email="ann.a@example.com")


@pytest.fixture
def bob(make_staff):
    return make_staff(name="Bob Builder", email="bob@example.com")


@pytest.fixture
def cat(make_staff):
    return make_staff(name="Cat Carter", email="cat@example.com")
