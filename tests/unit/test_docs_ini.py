# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every ansible.cfg snippet in the docs means, to Ansible's own parser, what it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
DOCS = sorted([ROOT / 'README.md', *(ROOT / 'docs').glob('*.md')])
INI = re.compile(r'^```ini\n(.*?)^```', re.M | re.S)
SNIPPETS = [(doc.name, i, body) for doc in DOCS for i, body in enumerate(INI.findall(doc.read_text()))]


@pytest.mark.parametrize('doc, index, body', SNIPPETS, ids=[f'{d}#{i}' for d, i, _b in SNIPPETS])
def test_ini_snippet_values_carry_no_comment(tmp_path, doc, index, body):
    from ansible.config.manager import ConfigManager
    path = tmp_path / 'ansible.cfg'
    path.write_text(body)
    manager = ConfigManager(conf_file=str(path))
    parser = manager._parsers[str(path)]  # the parser ansible-core itself reads ansible.cfg with
    for section in parser.sections():
        for name, value in parser.items(section, raw=True):
            assert not re.search(r'\s[#;]', value), f'{doc} ini snippet {index}: [{section}] {name} = {value!r}'
    if parser.has_option('inventory', 'enable_plugins'):
        plugins = [p.strip() for p in parser.get('inventory', 'enable_plugins').split(',')]
        assert all(re.fullmatch(r'[a-z_]+\.[a-z_]+\.[a-z_]+', p) for p in plugins), (doc, plugins)


def test_the_check_catches_the_trap(tmp_path):
    """The very line the docs had: the comment becomes part of the value."""
    from ansible.config.manager import ConfigManager
    path = tmp_path / 'ansible.cfg'
    path.write_text('[inventory]\nenable_plugins = ansible.builtin.yaml, podim.fleet.rules   # plus yours\n')
    value = ConfigManager(conf_file=str(path))._parsers[str(path)].get('inventory', 'enable_plugins')
    assert value.endswith('# plus yours')
