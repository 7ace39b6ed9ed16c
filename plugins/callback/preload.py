# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: preload
type: aggregate
short_description: Load the collection's per-host plugins once, before ansible-playbook forks its workers
version_added: 0.4.0
description:
  - ansible-playbook runs each task of each host in a worker process forked from its main process. A plugin the
    main process never loaded is loaded again in every worker; for the lookup P(podim.fleet.exported#lookup) that
    is about 10 ms of CPU per host and task (its option documentation parsed, its libraries imported, its store
    driver loaded).
  - The main process loads the collection's per-host plugins by itself when the inventory has a
    P(podim.fleet.rules#inventory) source or when a play runs P(podim.fleet.export#module). A playbook that only
    collects, over any other inventory, loads them in every worker unless this callback is enabled.
  - Enabled, it loads the lookup P(podim.fleet.exported#lookup), the action P(podim.fleet.export#module), the
    store and their libraries when the run starts, in the main process only. It prints nothing and changes
    nothing; a library that is missing is left to the plugin that needs it to report.
requirements:
  - Enabled in C(callbacks_enabled) (or E(ANSIBLE_CALLBACKS_ENABLED)); it does nothing unless enabled.
"""

EXAMPLES = r"""
# ansible.cfg
# [defaults]
# callbacks_enabled = podim.fleet.preload
"""

RETURN = r"""
"""

from ansible.plugins.callback import CallbackBase

from ansible_collections.podim.fleet.plugins.plugin_utils.preload import preload


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'podim.fleet.preload'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # callbacks are loaded in the main process before the first task is queued
        preload()
