# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""README.md, docs/exported-facts.md, docs/dns.md, docs/security.md and docs/site.md, replayed as doctests
(tests/unit/docs_replay.py): the files each page shows are written, its commands run in order with this venv's
ansible-inventory, ansible-playbook and ansible-config against local hosts and a SQLite store in a temporary
folder, and what each prints must be what the page shows. Normalized, and only that: the temporary folder (shown
as the page's folder), the order in which forks report hosts, trailing blanks, ansible-core 2.19's warning before
`ansible-config dump -t`.

A command block that needs the Molecule test hosts, containers or a network is marked in the page with
`<!-- not replayed: REASON -->`; each one is reported here as a skipped test with its reason (`pytest -rs`).
An unmarked command block must replay."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.podim.fleet.tests.unit.conftest import collections_path
from ansible_collections.podim.fleet.tests.unit.docs_replay import normalize, replay, steps

ROOT = Path(__file__).parents[2]
# page -> (the folder its outputs show as the current one, the fewest commands it replays)
PAGES = {
    'README.md': ('/srv/site', 3),
    'docs/exported-facts.md': ('/srv/site', 1),
    'docs/dns.md': ('/srv/site', 0),
    'docs/security.md': ('/srv/site', 0),
    'docs/site.md': ('/srv/site', 0),
}
NOT_REPLAYED = [(page, step.line, step.name) for page in PAGES for step in steps((ROOT / page).read_text())
                if step.kind == 'not replayed']


@pytest.mark.parametrize('page', PAGES)
def test_the_page_is_what_happens(tmp_path, page):
    shown_dir, fewest = PAGES[page]
    report = replay(ROOT / page, tmp_path, collections_path(), shown_dir=shown_dir)
    print(f'{page}: {len(report.replayed)} commands replayed, {len(report.not_replayed)} command blocks not replayed')
    assert not report.failures, '\n\n'.join(report.failures)
    assert len(report.replayed) >= fewest, report.replayed


@pytest.mark.parametrize('page, line, reason', NOT_REPLAYED, ids=[f'{p}:{n}' for p, n, _r in NOT_REPLAYED])
def test_not_replayed(page, line, reason):
    pytest.skip(f'{page}:{line}: not replayed: {reason}')


PAGE = '''\
# A page

`inventory/hosts.yml`, the hosts:

```yaml
all: {}
```

```ini
# ansible.cfg
[defaults]
```

```console
$ export GREETING='hello there'
$ cat inventory/hosts.yml ansible.cfg; echo "$GREETING"
all: {}
# ansible.cfg
[defaults]
hello there
$ printf 'changed: [b]\\nchanged: [a]\\nok: [c]   \\n' >&2
changed: [a]
changed: [b]
ok: [c]
$ pwd
/srv/site
$ ls missing; echo '[ERROR]: gone'; false
ls: cannot access 'missing': No such file or directory
[ERROR]: gone
```

<!-- not replayed: needs the site's hosts -->
```text
$ ssh -o ConnectTimeout=1 lb1.invalid uptime
 10:00:00 up 1 day
```
'''


def test_the_replay_does_what_it_says(tmp_path):
    (tmp_path / 'page.md').write_text(PAGE)
    work = tmp_path / 'work'
    work.mkdir()
    report = replay(tmp_path / 'page.md', work, collections_path())
    assert report.failures == []
    assert len(report.replayed) == 4
    assert report.not_replayed == [(PAGE.split('\n').index('```text') + 1, "needs the site's hosts")]
    assert (work / 'inventory' / 'hosts.yml').read_text() == 'all: {}\n'


@pytest.mark.parametrize('right, wrong', [
    ('$ pwd\n/srv/site', '$ pwd\n/srv/elsewhere'),  # not the output shown
    ("; echo '[ERROR]: gone'; false\n", "; echo '[ERROR]: gone'; true\n"),  # an error shown, yet it succeeds
    ("$ ls missing; echo '[ERROR]: gone'; false\nls: cannot access 'missing': No such file or directory\n[ERROR]: gone\n",
     "$ ls missing\nls: cannot access 'missing': No such file or directory\n"),  # it fails, yet shows no error
    ("<!-- not replayed: needs the site's hosts -->\n", ''),  # an unmarked block that cannot replay
])
def test_the_replay_fails_what_does_not_happen(tmp_path, right, wrong):
    assert right in PAGE
    (tmp_path / 'page.md').write_text(PAGE.replace(right, wrong))
    work = tmp_path / 'work'
    work.mkdir()
    report = replay(tmp_path / 'page.md', work, collections_path())
    assert len(report.failures) == 1, report.failures


def test_a_stray_marker_is_an_error():
    page = "<!-- not replayed: too far away -->\n\nSome text.\n\n```console\n$ true\n```\n<!-- not replayed: x -->\n"
    assert [s.kind for s in steps(page)] == ['command', 'error', 'error']


def test_the_normalization_is_no_more_than_announced():
    assert normalize('ok: [b]\nok: [a]\nTASK [x]\nok: [z]\nok: [y]  \n\n') == ['ok: [a]', 'ok: [b]', 'TASK [x]',
                                                                               'ok: [y]', 'ok: [z]']
    assert normalize('changed: [web2]\nfailed!\n') == ['changed: [web2]', 'failed!']
    assert normalize('/tmp/x/ansible.cfg', [('/tmp/x', '/srv/site')]) == ['/srv/site/ansible.cfg']
    dsa = ('/venv/lib/python3.11/site-packages/ansible/_internal/_ssh/_ssh_agent.py:18: CryptographyDeprecationWarning: '
           'DSA is deprecated and support will be removed in a future release.\n'
           '  from cryptography.hazmat.primitives.asymmetric.dsa import (\n')
    assert normalize(dsa + 'Using ansible.cfg\n  indented\n') == ['Using ansible.cfg', '  indented']
    assert normalize('x.py:1: CryptographyDeprecationWarning: other\n  y\n') == [
        'x.py:1: CryptographyDeprecationWarning: other', '  y']
