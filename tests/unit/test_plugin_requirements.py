# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookups and modules list the Python packages they use in `requirements`, and only those."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
PLUGINS = sorted([*(ROOT / 'plugins/lookup').glob('*.py'), *(ROOT / 'plugins/modules').glob('*.py')])
# what in a plugin's code (its own file and, for a module, its action plugin) uses which package
USES = {
    'jmespath': re.compile(r'^\s*import jmespath\b', re.M),
    # schemas.validate and exports.normalize_data check addresses with netaddr
    'netaddr': re.compile(r'\b(?:validate|normalize_data)\('),
    # open_store opens a PostgreSQL store for a postgresql:// URL; store_grant talks to PostgreSQL only
    'psycopg': re.compile(r'\bopen_store\(|\bPostgreSQLStore\b'),
}


def requirement_names(path: Path) -> list[str]:
    source = path.read_text()
    doc = yaml.safe_load(re.search(r'^DOCUMENTATION = r"""\n(.*?)^"""', source, re.M | re.S).group(1))
    return [re.match(r'[A-Za-z0-9_.-]+', item).group(0) for item in doc.get('requirements', [])]


def code_of(path: Path) -> str:
    action = ROOT / 'plugins/action' / path.name
    return path.read_text() + (action.read_text() if path.parent.name == 'modules' and action.exists() else '')


@pytest.mark.parametrize('path', PLUGINS, ids=[f'{p.parent.name}/{p.name}' for p in PLUGINS])
def test_requirements_are_what_the_plugin_uses(path):
    code = code_of(path)
    used = sorted(name for name, pattern in USES.items() if pattern.search(code))
    assert sorted(requirement_names(path)) == used


def test_requirements_are_in_requirements_txt():
    text = (ROOT / 'requirements.txt').read_text()
    pinned = {re.match(r'[A-Za-z0-9_.-]+', line).group(0) for line in text.splitlines()
              if line.strip() and not line.startswith('#')}
    named = {name for path in PLUGINS for name in requirement_names(path)}
    assert named == {'jmespath', 'netaddr', 'psycopg'}
    assert named <= pinned
