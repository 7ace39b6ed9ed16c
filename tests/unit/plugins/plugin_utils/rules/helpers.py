# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small builders shared by the rules engine tests."""

from __future__ import annotations

import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.rules.engine import Result, evaluate
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.spec import RulesSpec, parse_spec
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.view import StaticView

PATH = 'site.rules.yml'


def spec(*rules: dict, **top: t.Any) -> RulesSpec:
    return parse_spec(PATH, list(rules), **top)


def fleet(n: int, racks: int = 4, zones: int = 2, memory: t.Callable[[int], int] | None = None,
          prefix: str = 'node', start: int = 0) -> dict[str, dict[str, t.Any]]:
    """n hosts with rack, zone and memory_mb vars."""
    return {f'{prefix}{i:04d}': {'rack': f'r{i % racks}', 'zone': f'z{i % zones}',
                                 'memory_mb': memory(i) if memory else 2048}
            for i in range(start, start + n)}


def view(hosts: t.Mapping[str, t.Mapping[str, t.Any]], groups: t.Mapping[str, t.Sequence[str]] | None = None,
         linux: bool = True) -> StaticView:
    all_groups = {'linux': list(hosts)} if linux else {}
    all_groups.update(groups or {})
    return StaticView(hosts, all_groups)


def run(rules_spec: RulesSpec, hosts: t.Mapping[str, t.Mapping[str, t.Any]],
        groups: t.Mapping[str, t.Sequence[str]] | None = None, previous: t.Mapping[str, t.Any] | None = None,
        prober: t.Any = None) -> Result:
    return evaluate(rules_spec, view(hosts, groups), previous or {}, prober=prober)


class FakeProber:
    """Answers for the hosts not in `dead`; records what was probed."""

    def __init__(self, dead: t.Iterable[str] = ()) -> None:
        self.dead = set(dead)
        self.calls: list[list[str]] = []

    def __call__(self, targets: t.Sequence[t.Any], timeout: float) -> set[str]:
        self.calls.append([target.host for target in targets])
        return {target.host for target in targets if target.host not in self.dead}

    @property
    def probed(self) -> list[str]:
        return [host for call in self.calls for host in call]
