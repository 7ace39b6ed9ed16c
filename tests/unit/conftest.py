# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures shared by the unit tests: stores on both backends."""

from __future__ import annotations

import os
import uuid

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.store import close_all, open_store

PG_URL_ENV = 'PODIM_FLEET_TEST_PG_URL'


def require_pg_url() -> str:
    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(f'{PG_URL_ENV} is not set: start a server with scripts/pg-test-server.sh (make test does)')
    return url


@pytest.fixture(autouse=True)
def _close_stores():
    yield
    close_all()


@pytest.fixture
def sqlite_url(tmp_path):
    return f'sqlite:///{tmp_path}/store.sqlite'


@pytest.fixture(params=['sqlite', 'postgresql'])
def store_url(request, tmp_path):
    """A store URL of each backend; tests isolate themselves by namespace."""
    if request.param == 'sqlite':
        return f'sqlite:///{tmp_path}/store.sqlite'
    return require_pg_url()


@pytest.fixture
def pg_url():
    """The URL of the real PostgreSQL server the test command started."""
    return require_pg_url()


@pytest.fixture
def namespace():
    """A namespace no other test uses, so tests can share one PostgreSQL database."""
    return f'test-{uuid.uuid4().hex[:12]}'


@pytest.fixture
def store(store_url):
    return open_store(store_url)
