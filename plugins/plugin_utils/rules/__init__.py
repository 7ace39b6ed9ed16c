# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The creation-rules engine behind the inventory plugin podim.fleet.rules.

    spec = parse_rules_file(config, path)          # spec.py: validate, compile `when`
    result = evaluate(spec, view, previous_states)  # engine.py: choose hosts
    result.groups, result.hostvars, result.states, result.changes, result.unmet

No Ansible imports: the plugin hands in an inventory view (view.py) and,
optionally, Ansible's filter and test plugins for the expressions.
"""

from __future__ import annotations
