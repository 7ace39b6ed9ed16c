# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/rules.md, replayed: its files are written, its `console` commands run in order in one folder, and what each
prints (stderr and stdout as a terminal interleaves them) must be what the page shows.

A line `...` in the page stands for any lines (Ansible's warnings of other plugins); the folder is shown as
/tmp/doc. The examples of the change-control section are `text` blocks: docs/change-control.md replays that
workflow (tests/unit/test_docs_change_control.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from ansible_collections.podim.fleet.tests.unit.conftest import collections_path
from ansible_collections.podim.fleet.tests.unit.docs_replay import without_dependency_warnings

DOC = Path(__file__).parents[2] / 'docs' / 'rules.md'
FENCE = re.compile(r'^```(\w+)\n(.*?)^```', re.M | re.S)
SHOWN_DIR = '/tmp/doc'


def matches(shown: list[str], printed: list[str]) -> bool:
    """Line by line; a shown `...` matches any number of printed lines."""
    if not shown:
        return not printed
    if shown[0] == '...':
        return any(matches(shown[1:], printed[skip:]) for skip in range(len(printed) + 1))
    return bool(printed) and shown[0] == printed[0] and matches(shown[1:], printed[1:])


def steps(doc: str) -> list[tuple[str, str, str]]:
    """('file', name, text) and ('command', command, shown output), in the page's order."""
    out = []
    for lang, body in FENCE.findall(doc):
        first = body.split('\n', 1)[0]
        if lang in ('yaml', 'ini') and re.fullmatch(r'# [\w.-]+\.(yml|cfg)', first):
            out.append(('file', first[2:], body))
        elif lang == 'console':
            for chunk in re.split(r'^\$ ', body, flags=re.M)[1:]:
                command, _newline, shown = chunk.partition('\n')
                out.append(('command', command, shown))
    return out


def test_the_rules_page_is_what_happens(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PODIM_FLEET_', 'ANSIBLE_'))}
    # HOME: the page's store_url is under ~/.ansible; unbuffered: stdout and stderr in the order a terminal shows
    env.update(ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / '.tmp'), ANSIBLE_CONFIG=str(tmp_path / 'ansible.cfg'),
               HOME=str(tmp_path), PYTHONUNBUFFERED='1',
               PATH=f'{Path(sys.executable).parent}{os.pathsep}{os.environ["PATH"]}')
    ran = 0
    failures = []
    for kind, name, text in steps(DOC.read_text()):
        if kind == 'file':
            (tmp_path / name).write_text(text)
            continue
        proc = subprocess.run(['bash', '-c', f'{name} 2>&1'], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300, check=False)
        printed = without_dependency_warnings(proc.stdout.replace(str(tmp_path), SHOWN_DIR).rstrip('\n').split('\n'))
        shown = text.rstrip('\n').split('\n') if text.strip() else []
        if printed == ['']:
            printed = []
        failed = '[ERROR]' in text
        if (proc.returncode != 0) != failed or not matches(shown, printed):
            failures.append(f'$ {name}\n--- shown\n{text}--- printed (rc {proc.returncode})\n' + '\n'.join(printed))
        ran += 1
    assert not failures, '\n\n'.join(failures)
    assert ran >= 8
