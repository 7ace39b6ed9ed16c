# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load the per-host plugins of the collection once, in the controller's main process.

ansible-playbook runs every task of every host in a worker forked from its
main process.  A plugin the main process never loaded is loaded again in
each worker: its modules executed (from cached bytecode, see __init__.py),
its DOCUMENTATION parsed for its options, its libraries (sqlite3, jmespath)
imported: about 13 ms per host and task.  Loaded once before the workers
fork, all of that is inherited and a lookup costs what its query costs.
Code that runs in the main process calls preload(): the podim.fleet.rules
inventory plugin, the callback podim.fleet.preload (for any other inventory),
and the action plugin podim.fleet.export when it is imported, which
ansible-core's linear and free strategies do in the main process
(action_loader.get(..., class_only=True)) before they queue its task.
"""

from __future__ import annotations

import os
import sys

_DONE = False
# the commands that fork workers for tasks; ansible-inventory and ansible-doc never do
_TASK_RUNNERS = frozenset(('ansible-playbook', 'ansible', 'ansible-console', 'ansible-pull'))


def preload() -> None:
    """Import the lookup and action plugins and what they use; never fails.

    Only in the main process of a command that forks task workers: in a
    worker it would cost what it is meant to save.
    """
    global _DONE
    if _DONE or os.path.basename(sys.argv[0] if sys.argv else '') not in _TASK_RUNNERS:
        return
    import multiprocessing
    if multiprocessing.parent_process() is not None:  # a forked worker: too late to share anything
        return
    _DONE = True
    try:
        from ansible.plugins.loader import lookup_loader
        lookup_loader.get('podim.fleet.exported')
        import jmespath  # noqa: F401 (imported for its side effect: cached in sys.modules)
        import netaddr  # noqa: F401
        from ansible_collections.podim.fleet.plugins.plugin_utils import exports, patterns, schemas, settings  # noqa: F401
        from ansible_collections.podim.fleet.plugins.plugin_utils import store
        from ansible_collections.podim.fleet.plugins.plugin_utils.store import sqlite  # noqa: F401
        from ansible_collections.podim.fleet.plugins.action import export  # noqa: F401
        # the store settings' definitions, registered once (a YAML parse per worker otherwise)
        settings.definitions_registered()
        # who writes: the same for every export of the run
        exports.remember_run_metadata()
        store_url, _origin = settings.resolve('store_url', None)
        if isinstance(store_url, str) and store.store_scheme(store_url) in store.POSTGRESQL_SCHEMES:
            # psycopg takes about 0.4 s to import: once here rather than in every worker
            from ansible_collections.podim.fleet.plugins.plugin_utils.store import postgresql  # noqa: F401
            import psycopg  # noqa: F401
    except Exception:  # a missing optional library only costs speed, never the run
        pass
