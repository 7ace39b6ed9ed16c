# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/change-control.md, replayed: its files are written, its commands run in order, and what each prints
must be what the page shows (times, run ids, user and controller names aside)."""

from __future__ import annotations

import getpass
import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

from ansible_collections.podim.fleet.tests.unit.conftest import collections_path
from ansible_collections.podim.fleet.tests.unit.docs_replay import without_dependency_warnings

DOC = Path(__file__).parents[2] / 'docs' / 'change-control.md'
FENCE = re.compile(r'^```(\w+)\n(.*?)^```', re.M | re.S)


def volatile(text: str, user: str, controller: str) -> str:
    """Replace what differs from run to run (and machine to machine) by fixed words."""
    text = re.sub(r'"run_id": "[^"]*"', '"run_id": RUN', text)
    text = re.sub(r'"at": [0-9.]+', '"at": AT', text)
    text = re.sub(r'"time": "[^"]*"', '"time": TIME', text)
    for value, word in ((f'{user}@{controller}', 'USER@CONTROLLER'), (f'"{controller}"', '"CONTROLLER"'),
                        (f'"{user}"', '"USER"')):
        text = text.replace(value, word)
    return text


def test_the_change_control_page_is_what_happens(tmp_path):
    doc = DOC.read_text()
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PODIM_FLEET_', 'ANSIBLE_'))}
    env.update(ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / '.tmp'), ANSIBLE_CONFIG=str(tmp_path / 'ansible.cfg'),
               PATH=f'{Path(sys.executable).parent}{os.pathsep}{os.environ["PATH"]}')
    steps = 0
    for lang, body in FENCE.findall(doc):
        if lang in ('yaml', 'ini') and body.startswith('# ') and body.split('\n', 1)[0].endswith(('.yml', '.cfg')):
            (tmp_path / body.split('\n', 1)[0][2:].strip()).write_text(body)
            continue
        if lang != 'console':
            continue
        chunks = re.split(r'^\$ ', body, flags=re.M)[1:]
        for chunk in chunks:
            command, _newline, shown = chunk.partition('\n')
            if command.startswith('export '):
                name, value = command[len('export '):].split('=', 1)
                env[name] = shlex.split(value)[0]
                continue
            proc = subprocess.run(['bash', '-c', command], cwd=tmp_path, env=env, capture_output=True, text=True,
                                  timeout=300, check=False)
            assert proc.returncode == 0, (command, proc.stdout, proc.stderr)
            user, controller = getpass.getuser(), socket.gethostname()
            output = '\n'.join(without_dependency_warnings((proc.stderr + proc.stdout).split('\n')))
            printed = volatile(output, user, controller).rstrip('\n')
            assert printed == volatile(shown, 'root', 'vm').rstrip('\n'), command
            steps += 1
    assert steps >= 6
