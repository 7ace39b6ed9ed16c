# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every task of the roles has a tag of docs/site.md's table, and --tags reaches every task it names."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[3]
TASK_FILES = sorted(ROOT.glob('roles/*/tasks/*.yml'))
IMPORTS = ('ansible.builtin.import_tasks', 'import_tasks', 'ansible.builtin.import_role', 'import_role')
INCLUDE_ROLE = ('ansible.builtin.include_role', 'include_role')
INCLUDE_TASKS = ('ansible.builtin.include_tasks', 'include_tasks')


def documented_tags() -> set[str]:
    text = (ROOT / 'docs/site.md').read_text()
    section = text[text.index('### Tags\n'):]
    section = section[:section.index('\n## ')]
    return set(re.findall(r'^\| `(\w+)` \|', section, re.M))


def tags_of(task: dict) -> set[str]:
    tags = task.get('tags', [])
    return {tags} if isinstance(tags, str) else set(tags)


def walk(tasks: list, inherited: frozenset = frozenset()):
    """(task, its tags with those of enclosing blocks) for every task that is not a block."""
    for task in tasks or []:
        tags = inherited | tags_of(task)
        if 'block' in task:
            for key in ('block', 'rescue', 'always'):
                yield from walk(task.get(key), frozenset(tags))
        else:
            yield task, tags


def module_of(task: dict, names: tuple) -> dict | None:
    for name in names:
        if name in task:
            return task[name] if isinstance(task[name], dict) else {'file': task[name]}
    return None


def role_tasks_file(role: str, tasks_from: str = 'main') -> list:
    return yaml.safe_load((ROOT / 'roles' / role / 'tasks' / f'{tasks_from}.yml').read_text())


def reachable_tags(role: str, tasks_from: str = 'main') -> set[str]:
    """The tags of the tasks an include of a role's tasks file runs (imports followed)."""
    found: set[str] = set()
    for task, tags in walk(role_tasks_file(role, tasks_from)):
        imported = module_of(task, IMPORTS)
        if imported is not None:
            found |= reachable_tags(role, imported['file'].removesuffix('.yml'))
        else:
            found |= tags
    return found


def test_the_table_is_there():
    assert documented_tags() == {'install', 'config', 'service', 'export', 'tls', 'database', 'always'}


@pytest.mark.parametrize('path', TASK_FILES, ids=[str(p.relative_to(ROOT / 'roles')) for p in TASK_FILES])
def test_every_task_has_a_documented_tag(path):
    allowed = documented_tags()
    for task, tags in walk(yaml.safe_load(path.read_text())):
        if module_of(task, IMPORTS) is not None:
            # the imported tasks carry their own tags (checked in their file); a tag here would add to them
            assert not tags, (path.name, task['name'])
            continue
        assert tags & allowed, f'{path.name}: task {task["name"]!r} has no tag of docs/site.md ({sorted(allowed)})'
        assert tags <= allowed, f'{path.name}: task {task["name"]!r} has undocumented tags {sorted(tags - allowed)}'
        assert module_of(task, INCLUDE_TASKS) is None or 'apply' in module_of(task, INCLUDE_TASKS), task['name']
        include = module_of(task, INCLUDE_ROLE)
        if include is not None:
            # a dynamic include does not pass its tags on: `apply` does, so --tags tls runs what it includes
            assert set(include.get('apply', {}).get('tags', [])) == tags, task['name']


PLAYBOOK_INCLUDES = [(path, task) for path in sorted(ROOT.glob('playbooks/*.yml'))
                     for play in yaml.safe_load(path.read_text()) for task in play.get('tasks', [])
                     if module_of(task, INCLUDE_ROLE) is not None]


@pytest.mark.parametrize('path, task', PLAYBOOK_INCLUDES, ids=[t['name'] for _p, t in PLAYBOOK_INCLUDES])
def test_playbook_includes_are_reached_by_the_tags_they_include(path, task):
    include = module_of(task, INCLUDE_ROLE)
    role = include['name'].removeprefix('podim.fleet.')
    inner = reachable_tags(role, include.get('tasks_from', 'main')) - {'always'}
    assert inner, task['name']
    assert tags_of(task) == inner, f'{path.name}: {task["name"]!r} is tagged {sorted(tags_of(task))}, ' \
                                   f'its tasks {sorted(inner)}'


INVENTORY = {'all': {'hosts': {'h1': {}, 'h2': {}},
                     'children': {group: {'hosts': {'h1': {}}} for group in (
                         'dns_servers', 'mariadb_servers', 'postgresql_servers', 'wordpress', 'rails',
                         'loadbalancers')}}}


def list_tasks(tmp_path, *args) -> list[tuple[str, set[str]]]:
    from ansible_collections.podim.fleet.tests.unit.conftest import collections_path
    inventory = tmp_path / 'hosts.yml'
    inventory.write_text(json.dumps(INVENTORY))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_INVENTORY_ENABLED='ansible.builtin.yaml')
    proc = subprocess.run([str(Path(sys.executable).parent / 'ansible-playbook'), '-i', str(inventory),
                           str(ROOT / 'playbooks/site.yml'), '--list-tasks', *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'Unable to parse' not in proc.stderr, proc.stderr
    tasks = re.findall(r'^ {6}(.*?)\tTAGS: \[(.*?)\]$', proc.stdout, re.M)
    return [(name, {tag.strip() for tag in tags.split(',') if tag.strip()}) for name, tags in tasks]


@pytest.mark.parametrize('tag', ['install', 'config', 'service', 'export', 'tls', 'database'])
def test_site_yml_with_tags_lists_only_those_tasks(tmp_path, tag):
    listed = list_tasks(tmp_path, '--tags', tag)
    assert listed
    assert all(tag in tags or 'always' in tags for _name, tags in listed), listed
    everything = list_tasks(tmp_path)
    # every task of the tag that --list-tasks can see (static imports; dynamic includes count as one task)
    assert [item for item in everything if tag in item[1] or 'always' in item[1]] == listed
