# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""preload(): loads the per-host plugins in commands that fork task workers, only there."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys
sys.argv[0] = {argv0!r}
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader()
from ansible_collections.podim.fleet.plugins.plugin_utils.preload import preload
preload()
print(' '.join(name for name in ('ansible_collections.podim.fleet.plugins.lookup.exported',
                                 'ansible_collections.podim.fleet.plugins.action.export', 'jmespath')
               if name in sys.modules))
"""


@pytest.mark.parametrize('argv0, loaded', [
    ('/usr/bin/ansible-playbook', True),
    ('/venv/bin/ansible', True),
    ('/usr/bin/ansible-inventory', False),
    ('/usr/bin/ansible-doc', False),
])
def test_preload_only_in_task_runners(argv0, loaded):
    out = subprocess.run([sys.executable, '-c', PROBE.format(argv0=argv0)], capture_output=True, text=True,
                         check=True, env={'PYTHONPATH': ':'.join(sys.path)}).stdout.split()
    if loaded:
        assert out == ['ansible_collections.podim.fleet.plugins.lookup.exported',
                       'ansible_collections.podim.fleet.plugins.action.export', 'jmespath']
    else:
        assert out == []
