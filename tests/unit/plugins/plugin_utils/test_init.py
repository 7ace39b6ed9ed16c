# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugin_utils/__init__.py: the package's modules load from cached bytecode under ansible-core's loader."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from ansible_collections.podim.fleet.plugins import plugin_utils

# Imports a module the way a forked ansible-playbook worker does (ansible-core's collection loader installed),
# and says which of the collection's modules ansible-core's loader compiled from source.
PROBE = """
import importlib, json, sys
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader()
from ansible.utils.collection_loader import _collection_finder as finder
compiled = []
get_code = finder._AnsibleCollectionPkgLoaderBase.get_code
def counting(self, fullname):
    compiled.append(fullname)
    return get_code(self, fullname)
finder._AnsibleCollectionPkgLoaderBase.get_code = counting
module = importlib.import_module(sys.argv[1])
print(json.dumps({'compiled': compiled, 'loader': type(module.__spec__.loader).__name__,
                  'cached': getattr(module, '__cached__', None), 'file': module.__file__}))
"""
BASE = 'ansible_collections.podim.fleet.plugins.plugin_utils.store.base'


def _import(module: str, write_bytecode: bool = True) -> dict:
    env = {'PYTHONPATH': ':'.join(sys.path)}
    if not write_bytecode:
        env['PYTHONDONTWRITEBYTECODE'] = '1'
    out = subprocess.run([sys.executable, '-c', PROBE, module], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout)


def test_the_package_modules_load_with_python_source_loader_and_cached_bytecode():
    first = _import(BASE)
    assert first['loader'] == 'SourceFileLoader'
    assert Path(first['cached']).is_file()  # written at the first import (or earlier), read by every later one
    assert Path(first['file']).parent == Path(list(plugin_utils.__path__)[0]) / 'store'
    # ansible-core's loader compiled only the package's own __init__ files (tiny), none of its modules
    assert [name for name in first['compiled'] if name.startswith(plugin_utils.__name__ + '.')] == []
    assert plugin_utils.__name__ in first['compiled']


def test_a_changed_source_is_not_served_from_stale_bytecode(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, 'dont_write_bytecode', False)  # (PYTHONDONTWRITEBYTECODE would leave no cache)
    module = tmp_path / 'probe_module.py'
    module.write_text('VALUE = 1\n')
    finder = plugin_utils.CachedBytecodeFinder('probe_')
    spec = finder.find_spec('probe_module', [str(tmp_path)])
    assert _exec(spec).VALUE == 1
    assert Path(spec.cached).is_file()  # the bytecode that a stale read would serve
    module.write_text('VALUE = 22\n')  # new size: the cached bytecode no longer matches the source
    finder.invalidate_caches()
    assert _exec(finder.find_spec('probe_module', [str(tmp_path)])).VALUE == 22


def _exec(spec):
    import importlib.util
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_finder_answers_only_for_its_package_and_only_in_the_given_path(tmp_path):
    (tmp_path / 'other.py').write_text('')
    finder = plugin_utils.CachedBytecodeFinder(plugin_utils.__name__ + '.')
    assert finder.find_spec('json', None) is None
    assert finder.find_spec('ansible_collections.podim.fleet.plugins.action.export', [str(tmp_path)]) is None
    assert finder.find_spec(plugin_utils.__name__ + '.other', None) is None  # no path: not a submodule import
    assert finder.find_spec(plugin_utils.__name__ + '.store', [str(tmp_path)]) is None  # not in that directory
    assert finder.find_spec(plugin_utils.__name__ + '.other', [str(tmp_path)]).origin == str(tmp_path / 'other.py')


# where the finder goes: just before ansible-core's collection finder, behind anything put ahead of that
PLACE = """
import json, sys

class Gate:  # like ansible-test's import checks: a finder that must stay first
    def find_spec(self, fullname, path=None, target=None):
        return None

from ansible.plugins.loader import init_plugin_loader
init_plugin_loader()
sys.meta_path.insert(0, Gate())
from ansible_collections.podim.fleet.plugins import plugin_utils
from ansible.utils.collection_loader import AnsibleCollectionConfig
names = [type(f).__name__ for f in sys.meta_path]
again = plugin_utils.install_bytecode_finder(plugin_utils.__name__)
print(json.dumps({'names': names[:3], 'same': again is sys.meta_path[1],
                  'before_ansible': sys.meta_path[2] is AnsibleCollectionConfig.collection_finder,
                  'count': sum(isinstance(f, plugin_utils.CachedBytecodeFinder) for f in sys.meta_path)}))
"""


def test_installed_once_just_before_ansible_cores_collection_finder():
    out = subprocess.run([sys.executable, '-c', PLACE], capture_output=True, text=True, check=True,
                         env={'PYTHONPATH': ':'.join(sys.path)}).stdout
    assert json.loads(out) == {'names': ['Gate', 'CachedBytecodeFinder', '_AnsibleCollectionFinder'],
                               'same': True, 'before_ansible': True, 'count': 1}


def test_nothing_installed_without_ansible_cores_collection_finder():
    probe = ('import sys\nfrom ansible_collections.podim.fleet.plugins import plugin_utils\n'
             'print(any(isinstance(f, plugin_utils.CachedBytecodeFinder) for f in sys.meta_path))')
    out = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True, check=True,
                         env={'PYTHONPATH': ':'.join(sys.path)}).stdout
    assert out.split() == ['False']


def test_no_import_redirection_bypasses_the_finder():
    """ansible-core's loader honours meta/runtime.yml import_redirection; the finder does not, so there is none."""
    runtime = yaml.safe_load((Path(list(plugin_utils.__path__)[0]).parents[1] / 'meta' / 'runtime.yml').read_text())
    assert not any(name.startswith(plugin_utils.__name__) for name in (runtime.get('import_redirection') or {}))


def test_without_bytecode_writing_the_modules_still_load():
    loaded = _import('ansible_collections.podim.fleet.plugins.plugin_utils.typenames', write_bytecode=False)
    assert loaded['loader'] == 'SourceFileLoader'
