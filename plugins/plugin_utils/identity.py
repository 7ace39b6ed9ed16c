# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who the host running a task really is, according to the inventory Ansible loaded.

`inventory_hostname` and `group_names` reach an action plugin as ordinary
variables: task, play and role vars, `set_fact`, `include_vars` and extra
vars all override them. An export signed with them could impersonate any
host. So the name comes from the host object the worker process was forked
for (`ansible.executor.process.worker.current_worker`, set by ansible-core
2.19 and 2.21 before any task code runs; ansible-core offers no public
accessor), and so do its groups (the same as the `groups` magic variable,
which Ansible merges after every other variable source).
"""

from __future__ import annotations

import typing as t


class IdentityError(ValueError):
    """The task's host cannot be established from the inventory; nothing may be written for it."""


def _worker_host() -> t.Any:
    try:
        from ansible.executor.process import worker
    except ImportError:  # pragma: no cover - every supported ansible-core has it
        return None
    current = getattr(worker, 'current_worker', None)
    return getattr(current, '_host', None)


def inventory_identity(task_vars: t.Mapping[str, t.Any]) -> tuple[str, list[str]]:
    """(inventory name, sorted group names without 'all') of the host this task runs for."""
    host = _worker_host()
    name = host.get_name() if host is not None else None
    if not isinstance(name, str) or not name:
        raise IdentityError('cannot tell which inventory host this task runs for (no ansible-playbook worker '
                            'process); run it from ansible-playbook or ansible')
    claimed = task_vars.get('inventory_hostname')
    if claimed is not None and str(claimed) != name:
        raise IdentityError(f'the variable inventory_hostname says {str(claimed)!r} but this task runs for '
                            f'inventory host {name!r}: a host is identified by the inventory, never by variables; '
                            'remove the inventory_hostname override. Nothing was written.')
    # the host object's own groups: the inventory's, and no scan of every group's member list per export
    member_of = sorted(group.name for group in host.get_groups() if group.name != 'all')
    return name, member_of


def inventory_fingerprint() -> str | None:
    """A fingerprint of the inventory sources this controller run loaded, or None outside an Ansible command.

    From the command line (-i, or the configured inventory, which ansible-core resolves into the same
    argument), never from variables: `ansible_inventory_sources` is one more variable a play can set.
    """
    import hashlib
    import os

    from ansible import context
    sources = context.CLIARGS.get('inventory') if context.CLIARGS else None
    if not sources:
        return None
    if isinstance(sources, str):
        sources = [sources]
    # a path as the file it names (relative, through a link, from another directory); host lists as written
    named = sorted(os.path.realpath(source) if os.path.exists(source) else source for source in map(str, sources))
    return hashlib.sha256('\n'.join(named).encode()).hexdigest()[:16]
