# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Approvals of proposed membership changes, kept in the rule's remembered state.

A rule with `approve: true` proposes its voluntary changes, each with a short
stable id, and applies at its next evaluation exactly the approved ids that it
still proposes (plugin_utils/rules/engine.py). An approval is plain data in
the state: state['approved'] = [{'id', 'by', 'at'}], written through
store.decide, so it takes the decision lock, needs the `decide` grant on
PostgreSQL, and is recorded in the history.
"""

from __future__ import annotations

import re
import typing as t

ID_RE = re.compile(r'\A[0-9a-f]{6,64}\Z')


class ApprovalError(ValueError):
    """An approval that cannot be recorded; the message says what to do."""


def check_ids(ids: t.Iterable[t.Any]) -> list[str]:
    out = []
    for value in ids:
        if not isinstance(value, str) or not ID_RE.fullmatch(value.strip().lower()):
            raise ApprovalError(f'{value!r} is not a proposal id (6 to 64 hex digits, as the rules plugin prints '
                                'them)')
        out.append(value.strip().lower())
    if not out:
        raise ApprovalError('name at least one proposal id')
    return list(dict.fromkeys(out))


def approve(state: t.Any, rule: str, ids: t.Sequence[str], by: str, at: float,
            present: bool = True) -> tuple[dict[str, t.Any], list[str]]:
    """(new state, ids whose approval was added or withdrawn). The state is not changed in place."""
    if not isinstance(state, dict):
        raise ApprovalError(f'rule {rule!r} has no remembered decision in this namespace: evaluate the inventory '
                            'with its rules file first (the proposal ids come from there)')
    approved = [dict(item) for item in state.get('approved') or [] if isinstance(item, dict) and 'id' in item]
    known = {item['id'] for item in approved}
    if present:
        changed = [ident for ident in ids if ident not in known]
        approved += [{'id': ident, 'by': by, 'at': at} for ident in changed]
    else:
        changed = [ident for ident in ids if ident in known]
        approved = [item for item in approved if item['id'] not in changed]
    new = dict(state)
    if approved:
        new['approved'] = approved
    else:
        new.pop('approved', None)
    return new, changed
