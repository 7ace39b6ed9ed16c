# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Strict checks of options passed directly to a plugin (lookup keyword arguments).

Ansible's config manager drops unknown direct options without a word and
reads any unknown string as the boolean false: `min_result=1` would silently
turn the empty-result guard off, `exclude_self='maybe'` would mean false.
"""

from __future__ import annotations

import difflib
import math
import typing as t

# Ansible's boolean spellings (ansible.module_utils.parsing.convert_bool); anything else is an error, not false.
TRUE_WORDS = frozenset(('yes', 'on', '1', 'true', 'y', 't'))
FALSE_WORDS = frozenset(('no', 'off', '0', 'false', 'n', 'f'))


class OptionError(ValueError):
    """An option that does not exist or has a value of the wrong kind."""


def _describe(value: t.Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + '...'


def strict_bool(name: str, value: t.Any) -> bool:
    """A boolean, or one of the words Ansible documents for booleans; anything else is an error."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise OptionError(f'option {name}: {_describe(value)} is not a boolean (use true or false)')


def _number(name: str, value: t.Any, kind: str) -> float:
    if isinstance(value, bool):
        raise OptionError(f'option {name}: {_describe(value)} is not {"an integer" if kind == "int" else "a number"}')
    try:
        number = int(value) if kind == 'int' and not isinstance(value, float) else float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or (kind == 'int' and isinstance(value, float) and not value.is_integer()) \
            or not math.isfinite(number):
        raise OptionError(f'option {name}: {_describe(value)} is not {"an integer" if kind == "int" else "a number"}')
    return number


def check_direct_options(definitions: t.Mapping[str, t.Mapping[str, t.Any]], direct: t.Mapping[str, t.Any]) -> None:
    """Refuse unknown names and values that are not of the documented type.

    definitions: the plugin's documented options (name -> {type: ...}).
    """
    known = sorted(name for name in definitions if not name.startswith('_'))
    for name, value in direct.items():
        if name not in definitions or name.startswith('_'):
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f' (did you mean {close[0]}?)' if close else ''
            raise OptionError(f'unknown option {str(name)!r}{hint}; valid options: {", ".join(known)}')
        kind = definitions[name].get('type', 'str')
        if value is None:
            continue
        if kind in ('bool', 'boolean'):
            strict_bool(name, value)
        elif kind in ('int', 'integer'):
            _number(name, value, 'int')
        elif kind == 'float':
            _number(name, value, 'float')
        elif kind in ('str', 'string') and not isinstance(value, str):
            raise OptionError(f'option {name}: {_describe(value)} is not a string')
        elif kind == 'list' and not isinstance(value, (list, tuple, str)):
            raise OptionError(f'option {name}: {_describe(value)} is not a list')
