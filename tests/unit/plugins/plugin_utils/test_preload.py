# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""preload(): loads the per-host plugins in commands that fork task workers, only there."""

from __future__ import annotations

import json
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


# A probe as ansible-playbook: SETUP in its main process, WORKER(queue) in a worker forked from it (whose answer
# is printed first), then AFTER in the main process, which prints the rest.
FORKED = """
import json, multiprocessing, os, sys
sys.argv[0] = '/usr/bin/ansible-playbook'
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader()
{setup}

if __name__ == '__main__':
    queue = multiprocessing.get_context('fork').Queue()
    process = multiprocessing.get_context('fork').Process(target=worker, args=(queue,))
    process.start()
    in_worker = queue.get(timeout=60)
    process.join()
{after}
"""


def _forked_probe(tmp_path, setup: str, after: str) -> str:
    script = tmp_path / 'probe.py'
    script.write_text(FORKED.format(setup=setup, after=after))
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True,
                          env={'PYTHONPATH': ':'.join(sys.path)}).stdout


# ansible-core's strategies import an action plugin in the main process before they queue its task: importing
# podim.fleet.export there preloads the lookup too; in a forked worker (too late to share) it loads nothing more.
def test_the_export_action_preloads_in_the_main_process_only(tmp_path):
    out = _forked_probe(tmp_path, setup="""
LOOKUP = 'ansible_collections.podim.fleet.plugins.lookup.exported'

def worker(queue):
    from ansible.plugins.loader import action_loader
    action_loader.get('podim.fleet.export', class_only=True)
    queue.put(LOOKUP in sys.modules)
""", after="""
    from ansible.plugins.loader import action_loader
    action_loader.get('podim.fleet.export', class_only=True)
    print(in_worker, LOOKUP in sys.modules)
""")
    assert out.split() == ['False', 'True']


# the run's metadata is worked out once in the main process; a forked worker (an export) reads it from there
def test_the_run_metadata_is_worked_out_once_in_the_main_process(tmp_path):
    out = _forked_probe(tmp_path, setup="""
from ansible_collections.podim.fleet.plugins.plugin_utils import exports
from ansible_collections.podim.fleet.plugins.plugin_utils.preload import preload
preload()

def worker(queue):
    exports.run_metadata = None  # a worker that had to work it out again would fail here
    queue.put(exports.exporter_metadata())
""", after="""
    print(json.dumps([in_worker, exports.run_metadata(os.getpid())]))
""")
    in_worker, in_main = json.loads(out)
    assert in_worker == in_main and in_worker['run_id'].count(':') == 2


PSYCOPG = """
import sys
sys.argv[0] = '/usr/bin/ansible-playbook'
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader()
from ansible_collections.podim.fleet.plugins.plugin_utils.preload import preload
preload()
print('psycopg' in sys.modules)
"""


@pytest.mark.parametrize('store_url, loaded', [
    ('postgresql://fleet@db.example.com/fleet', 'True'),
    ('sqlite:////tmp/fleet.sqlite', 'False'),
])
def test_psycopg_is_preloaded_only_for_a_postgresql_store(store_url, loaded):
    pytest.importorskip('psycopg')
    out = subprocess.run([sys.executable, '-c', PSYCOPG], capture_output=True, text=True, check=True,
                         env={'PYTHONPATH': ':'.join(sys.path), 'PODIM_FLEET_STORE': store_url}).stdout
    assert out.split() == [loaded]
