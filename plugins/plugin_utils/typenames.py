# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Type names for error messages: the ones users write, never ansible-core's internal classes.

Since ansible-core 2.19 the values a task or lookup receives are tagged
(`_AnsibleTaggedInt`, `_AnsibleTaggedStr`, lazy template containers ...):
`type(value).__name__` would show those names. `type_name` shows `int`,
`str`, `list`, `dict`; `plain_type_names` cleans the same names out of
messages ansible-core itself makes (its argument spec validation prints
`<class '..._AnsibleTaggedInt'>`).
"""

from __future__ import annotations

import re
import typing as t

from ansible.module_utils.datatag import native_type_name

# `<class 'ansible.module_utils._internal._datatag._AnsibleTaggedInt'>`, `<class 'int'>`
_CLASS_RE = re.compile(r"<class '(?:[A-Za-z_][\w.]*\.)?(\w+)'>")
_INTERNAL_RE = re.compile(r'\b_Ansible(?:Tagged|LazyTemplate)(\w+)\b')


def type_name(value: t.Any) -> str:
    """The plain Python name of a value's type: int, str, list, dict, float, bool, None ..."""
    name = native_type_name(value)
    return 'None' if name == 'NoneType' else name


def plain_type_names(text: str) -> str:
    """A message with ansible-core's internal type names replaced by plain ones."""
    text = _CLASS_RE.sub(lambda match: match.group(1), text)
    return _INTERNAL_RE.sub(lambda match: match.group(1).lower(), text)


def validate_args(action: t.Any, argument_spec: dict, **checks: t.Any) -> tuple[t.Any, dict]:
    """ActionBase.validate_argument_spec, with plain type names in its error.

    checks: its other arguments (mutually_exclusive, required_one_of, required_together, required_if, required_by).
    """
    from ansible.errors import AnsibleActionFail
    try:
        return action.validate_argument_spec(argument_spec=argument_spec, **checks)
    except AnsibleActionFail as exc:
        raise AnsibleActionFail(plain_type_names(exc.message), obj=exc.obj) from None
