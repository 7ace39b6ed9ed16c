# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the rules engine; their text is shown to users as is."""

from __future__ import annotations


class RulesError(Exception):
    """Base class: anything wrong with creation rules, with a message fit for a user."""


class SpecError(RulesError):
    """A malformed rules file: names the file, the rule and the field."""

    def __init__(self, path: str, rule: str | None, field: str | None, message: str) -> None:
        # rule is a label: "rule 'dns'", or "rules[2]" for a rule without a usable name
        self.path = path
        self.rule = rule
        self.field = field
        self.detail = message
        where = [path]
        if rule is not None:
            where.append(rule)
        if field is not None:
            where.append(f'field {field!r}')
        super().__init__(f'{": ".join(where)}: {message}')


class EvalError(RulesError):
    """An expression that failed on one host (undefined variable, wrong type ...)."""

    def __init__(self, path: str, rule: str, field: str, host: str, message: str) -> None:
        self.path = path
        self.rule = rule
        self.field = field
        self.host = host
        self.detail = message
        super().__init__(f'{path}: rule {rule!r}: field {field!r}: failed for host {host}: {message}')


class UnmetError(RulesError):
    """One or more rules could not be met (on_unmet: error)."""

    def __init__(self, path: str, messages: list[str]) -> None:
        self.path = path
        self.messages = messages
        text = '\n'.join(f'  - {m}' for m in messages)
        n = len(messages)
        super().__init__(f'{path}: {n} creation rule{"s" if n > 1 else ""} cannot be met:\n{text}')
