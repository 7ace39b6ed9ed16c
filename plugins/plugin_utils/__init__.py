# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's controller code, shared by its plugins.

ansible-core's collection loader compiles a collection's Python modules from source at every import and keeps
no bytecode (its plugin loader does keep it for the plugin files themselves). ansible-playbook forks a worker
per host and task, and a worker that is the first in its process tree to use a lookup imports this package
afresh: compiling it was about 25 ms of CPU per host and lookup. Its modules are therefore found by Python's own
file finder, which reads (and writes) the bytecode cached in __pycache__ beside them, checked against the
source's modification time and size like any Python import, and only in the directory the collection loader
chose for this package. Nothing else is imported this way. The finder sits immediately before ansible-core's
collection finder, the one it stands in for, so whatever was put ahead of that one (ansible-test's import
checks, for one) still sees every import first. Without ansible-core's finder, Python's own path finder
imports the package, with its bytecode, and nothing is installed.
"""

from __future__ import annotations

import importlib.machinery
import sys


class CachedBytecodeFinder:
    """Finds the submodules of one package with Python's file finder (bytecode cached), in the package's own path."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self._finders: dict[str, importlib.machinery.FileFinder] = {}

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(self.prefix) or not path:
            return None
        for entry in path:
            finder = self._finders.get(entry)
            if finder is None:
                finder = self._finders[entry] = importlib.machinery.FileFinder(
                    entry, (importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES))
            spec = finder.find_spec(fullname, target)
            if spec is not None:
                return spec
        return None

    def invalidate_caches(self):
        self._finders.clear()


def install_bytecode_finder(package: str) -> CachedBytecodeFinder | None:
    """The finder for PACKAGE's submodules, just before ansible-core's collection finder (once per process)."""
    prefix = package + '.'
    for finder in sys.meta_path:
        if isinstance(finder, CachedBytecodeFinder) and finder.prefix == prefix:
            return finder
    try:
        from ansible.utils.collection_loader import AnsibleCollectionConfig
        position = sys.meta_path.index(AnsibleCollectionConfig.collection_finder)
    except (ImportError, ValueError):
        return None
    finder = CachedBytecodeFinder(prefix)
    sys.meta_path.insert(position, finder)
    return finder


install_bytecode_finder(__name__)
