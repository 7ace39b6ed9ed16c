# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replay a documentation page the way doctest replays a docstring.

A page is read as a sequence of fenced blocks, in order:

- a **file**: a `yaml` or `ini` block whose first line is `# PATH` (`# ansible.cfg`), or whose lead-in, the
  paragraph just before it, starts with the path in backticks followed by `:` or `,` ("`inventory/hosts.yml`, the
  base inventory ..."). It is written, as shown, under the work folder;
- a **command block**: any block whose first line starts with `$ `. Each `$ COMMAND` line is run with bash in the
  work folder, stderr and stdout together as a terminal shows them, and the lines up to the next `$ ` are the
  output it must print. `export NAME=VALUE` (and a bare `NAME=VALUE`) sets the environment of the commands that
  follow. A command is expected to fail exactly when its shown output has an `[ERROR]`;
- a command block right after a line `<!-- not replayed: REASON -->` is not run, only counted and reported
  (it needs hosts, containers or a network the tests do not have). Such a line anywhere else is an error.

Blocks of commands without a `$ ` prompt (`sh` blocks, which show no output) are not run.

The output is compared after normalizing only what must vary from run to run (`normalize`): the temporary work
folder (shown as the page's folder), the order in which parallel forks report their hosts, trailing blanks,
one ansible-core 2.19 warning and one cryptography warning that are about Ansible's own dependencies, not the page.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import textwrap
import typing as t
from pathlib import Path

FENCE = re.compile(r'^(?P<indent>[ ]*)```(?P<lang>[\w+-]*)[ ]*\n(?P<body>.*?)^(?P=indent)```[ ]*$', re.M | re.S)
MARK = re.compile(r'<!--\s*not replayed:\s*(?P<reason>.*?)\s*-->')
FILE_PATH = r'(?!/)(?!.*\.\.)[\w.][\w./-]*\.\w+'
FILE_LANGS = ('yaml', 'yml', 'ini')
# Lines of parallel workers, which report their hosts in whatever order the forks finish.
HOST_LINE = re.compile(r'^(ok|changed|skipping|failed|fatal|unreachable|included): \[')
# ansible-core 2.19's `ansible-config dump -t TYPE NAME` warns so before the list, for every plugin of every
# collection, ansible.builtin included (ansible-core 2.21 does not): not the page's business.
CORE_219_DUMP_WARNING = re.compile(r"^\[WARNING\]: Error loading plugin '[\w.]+': "
                                   r"No module named 'ansible_collections\.ansible_collections'$")
# cryptography 51 deprecates DSA, which ansible-core 2.19 and 2.21 import at start (`_ssh_agent.py`): Python prints
# the warning and the source line under it on every command, whatever the page does.
CRYPTOGRAPHY_DSA_WARNING = re.compile(r'^\S+\.py:\d+: CryptographyDeprecationWarning: DSA is deprecated\b')


# What a replay runs: Ansible's commands against the page's files, and tools that only read or edit files in the work
# folder. A command of any other program (podman, curl, ssh, psql ...) is not run: unless its block is marked
# `<!-- not replayed: REASON -->` it is a failure, so that a page cannot reach containers or the network unseen.
RUNS = frozenset({
    'ansible', 'ansible-config', 'ansible-doc', 'ansible-inventory', 'ansible-playbook',
    'cat', 'cut', 'echo', 'false', 'grep', 'head', 'ls', 'printf', 'pwd', 'sed', 'sort', 'tail', 'true', 'wc',
})


class Step(t.NamedTuple):
    kind: str  # 'file', 'command', 'not replayed', 'error'
    line: int  # where it is in the page (1-based)
    name: str  # the file's path, the command, the reason or the error
    text: str  # the file's content or the command's shown output


class Report(t.NamedTuple):
    replayed: list[str]
    not_replayed: list[tuple[int, str]]  # (line, reason), one per command block
    failures: list[str]


def steps(page: str) -> list[Step]:
    """The page's files, commands and unreplayed command blocks, in the page's order."""
    out = []
    previous_end = 0
    for match in FENCE.finditer(page):
        lead, previous_end = page[previous_end:match.start()], match.end()
        line = page.count('\n', 0, match.start()) + 1
        lang = match['lang']
        body = textwrap.dedent(match['body'])
        lead_lines = [x.strip() for x in lead.strip().split('\n')]
        marks = [(i, m) for i, x in enumerate(lead_lines) for m in [MARK.fullmatch(x)] if m]
        first = body.split('\n', 1)[0]
        if first.startswith('$ '):
            if marks and marks[-1][0] == len(lead_lines) - 1:
                out.append(Step('not replayed', line, marks[-1][1]['reason'], body))
                marks.pop()
            else:
                for chunk in re.split(r'^\$ ', body, flags=re.M)[1:]:
                    command, _newline, shown = chunk.partition('\n')
                    out.append(Step('command', line, command, shown))
        elif lang in FILE_LANGS:
            named = re.fullmatch(rf'# ({FILE_PATH})', first)
            paragraph = lead.strip().split('\n\n')[-1]
            led = re.match(rf'`({FILE_PATH})`[:,]', paragraph)
            if named or led:
                out.append(Step('file', line, (named or led)[1], body))
        out.extend(Step('error', line, f'{m[0]} is not right before the command block it is about', '')
                   for _i, m in marks)
    tail_line = page.count('\n', 0, previous_end) + 1
    out.extend(Step('error', tail_line + i, f'{m[0]} is not right before a command block', '')
               for i, x in enumerate(page[previous_end:].split('\n')) for m in [MARK.fullmatch(x.strip())] if m)
    return out


def normalize(text: str, replace: t.Sequence[tuple[str, str]] = ()) -> list[str]:
    """The lines of an output, with what must vary from run to run made the same."""
    for value, word in replace:
        text = text.replace(value, word)
    lines = [x.rstrip() for x in text.rstrip().split('\n')] if text.strip() else []
    lines = without_dependency_warnings([x for x in lines if not CORE_219_DUMP_WARNING.match(x)])
    out: list[str] = []
    run: list[str] = []
    for x in [*lines, None]:
        if x is not None and HOST_LINE.match(x):
            run.append(x)
            continue
        out.extend(sorted(run))
        run = []
        if x is not None:
            out.append(x)
    return out


def without_dependency_warnings(lines: list[str]) -> list[str]:
    """The lines without cryptography's DSA warning (and the source line Python prints under it)."""
    lines = list(lines)
    for i in reversed([i for i, x in enumerate(lines) if CRYPTOGRAPHY_DSA_WARNING.match(x)]):
        del lines[i:i + (2 if lines[i + 1:i + 2] and lines[i + 1].startswith(' ') else 1)]
    return lines


def environment(work: Path, collections_path: str) -> dict[str, str]:
    """The commands' environment: this venv's Ansible and the collection under test; nothing of the caller's
    ANSIBLE_*/PODIM_FLEET_* settings; HOME in the work folder, so that `~/.ansible/podim_fleet.sqlite` (the
    default store, and the one the pages' ansible.cfg name) is a SQLite store of the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PODIM_FLEET_', 'ANSIBLE_', 'PG'))}
    home = work / '.home'
    home.mkdir(parents=True, exist_ok=True)
    env.update(ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_LOCAL_TEMP=str(home / '.ansible' / 'tmp'), ANSIBLE_CONFIG=str(work / 'ansible.cfg'),
               HOME=str(home), PYTHONUNBUFFERED='1', LC_ALL='C.UTF-8',
               PATH=f'{Path(sys.executable).parent}{os.pathsep}{os.environ["PATH"]}')
    return env


def replay(page: Path, work: Path, collections_path: str, shown_dir: str = '/srv/site',
           timeout: int = 120) -> Report:
    """Write the page's files and run its commands in `work`; `shown_dir` is how the page shows that folder."""
    env = environment(work, collections_path)
    replace = [(str(work), shown_dir)]
    report = Report([], [], [])
    for step in steps(page.read_text()):
        where = f'{page.name}:{step.line}'
        if step.kind == 'error':
            report.failures.append(f'{where}: {step.name}')
        elif step.kind == 'not replayed':
            report.not_replayed.append((step.line, step.name))
        elif step.kind == 'file':
            (work / step.name).parent.mkdir(parents=True, exist_ok=True)
            (work / step.name).write_text(step.text)
        elif _assignments(step.name) is not None:
            env.update(_assignments(step.name))
        elif _programs(step.name) - RUNS:
            report.failures.append(f'{where}: $ {step.name}\n--- cannot replay: runs '
                                   + ', '.join(sorted(_programs(step.name) - RUNS))
                                   + ' (mark the block <!-- not replayed: REASON -->)')
        else:
            proc = subprocess.run(['bash', '-c', f'exec 2>&1\n{step.name}'], cwd=work, env=env, text=True,
                                  stdout=subprocess.PIPE, timeout=timeout, check=False)
            printed, shown = normalize(proc.stdout, replace), normalize(step.text)
            if (proc.returncode != 0) != ('[ERROR]' in step.text) or printed != shown:
                report.failures.append(f'{where}: $ {step.name}\n--- shown\n' + '\n'.join(shown)
                                       + f'\n--- printed (rc {proc.returncode}, normalized)\n' + '\n'.join(printed))
            report.replayed.append(step.name)
    return report


def _assignments(command: str) -> dict[str, str] | None:
    """`export A=1 B=2` or `A=1`: the variables it sets; None for any other command."""
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        return None
    if words[:1] == ['export']:
        words = words[1:]
    if not words or not all(re.fullmatch(r'[A-Za-z_]\w*=.*', w, re.S) for w in words):
        return None
    return dict(w.split('=', 1) for w in words)


def _programs(command: str) -> set[str]:
    """The programs a shell command line runs: the first word of each command of its lists, pipes and
    substitutions, after its variable assignments; '?' for what the replay cannot read (backquotes, bad quoting)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:
        return {'?'}
    programs, starts = set(), True
    for word in words:
        if '`' in word:
            programs.add('?')
        if starts and not re.fullmatch(r'[A-Za-z_]\w*=.*', word, re.S):
            programs.add(word)
            starts = False
        if word in ('|', '||', '&', '&&', ';', '(', '|&'):
            starts = True
    return programs
