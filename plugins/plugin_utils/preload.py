# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load the per-host plugins of the collection once, in the controller's main process.

ansible-playbook runs every task of every host in a worker forked from its
main process.  A plugin the main process never loaded is loaded again in
each worker: its source compiled (collection modules get no bytecode cache),
its DOCUMENTATION parsed for its options, its libraries imported: about
15-25 ms per host and task.  Loaded once before the workers fork, all of that
is inherited and a lookup costs what its query costs.  Plugins that run in
the main process (the podim.fleet.rules inventory plugin) call preload().
"""

from __future__ import annotations

import os
import sys

_DONE = False
# the commands that fork workers for tasks; ansible-inventory and ansible-doc never do
_TASK_RUNNERS = frozenset(('ansible-playbook', 'ansible', 'ansible-console', 'ansible-pull'))


def preload() -> None:
    """Import the lookup and action plugins and what they use; never fails."""
    global _DONE
    if _DONE or os.path.basename(sys.argv[0] if sys.argv else '') not in _TASK_RUNNERS:
        return
    _DONE = True
    try:
        from ansible.plugins.loader import lookup_loader
        lookup_loader.get('podim.fleet.exported')
        import jmespath  # noqa: F401 (imported for its side effect: cached in sys.modules)
        import netaddr  # noqa: F401
        from ansible_collections.podim.fleet.plugins.plugin_utils import exports, patterns, settings  # noqa: F401
        from ansible_collections.podim.fleet.plugins.plugin_utils.store import sqlite  # noqa: F401
        from ansible_collections.podim.fleet.plugins.action import export  # noqa: F401
    except Exception:  # a missing optional library only costs speed, never the run
        pass
