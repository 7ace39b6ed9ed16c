# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""roles/rails/templates/environment.j2 with hostile values, read by sh as
/usr/local/sbin/APP-run reads it: every value arrives unchanged, nothing runs,
no variable is added. (systemd's EnvironmentFile= parser reads the same
quoting the same way; the test host check is in docs/site.md.)"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest

from ansible.plugins.filter.core import FilterModule as CoreFilters

TEMPLATE = Path(__file__).resolve().parents[3] / 'roles' / 'rails' / 'templates' / 'environment.j2'

HOSTILE = {
    'QUOTES': 'it\'s "quoted" \'\\\'',
    'SUBST': '$(touch {canary}) `touch {canary}` ${{HOME}} $HOME',
    'NEWLINE': 'first\nINJECTED=1\nlast',
    'SEMICOLON': 'x; touch {canary}; INJECTED2=1',
    'BACKSLASH': 'a\\b\\\\c\\n\\',
    'SPACES': '  leading and trailing  ',
    'EMPTY': '',
    'HASH': '# not a comment',
    'UNICODE': 'café ☕',
    'NUMBER': 42,
}


def render(tmp_path: Path, environment: dict, secret: str = 'abc123', rails_env: str = 'production') -> str:
    # as the template module renders (trim_blocks)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True)
    env.filters.update(CoreFilters().filters())
    return env.from_string(TEMPLATE.read_text()).render(
        ansible_managed='Ansible managed',
        rails_app_name='demo',
        rails_env=rails_env,
        rails_db_tls=False,
        rails_db_engine='postgresql',
        site_tls_host_ca='/etc/ssl/podim-fleet/ca.crt',
        __rails_db_scheme='postgres',
        rails_db_user='demo',
        __rails_db_password='Secret123',
        __rails_db_host='127.0.0.1',
        __rails_db={'port': 5432},
        rails_db_name='demo',
        __rails_secret_key_base=secret,
        rails_environment=environment,
    )


def source_with_sh(path: Path) -> dict:
    """The environment `set -a; . FILE` exports (what APP-run does)."""
    out = subprocess.run(
        ['env', '-i', 'PATH=/usr/bin:/bin', 'sh', '-c', 'set -eu; set -a; . "$1"; set +a; exec env -0', 'sh', str(path)],
        check=True, capture_output=True,
    ).stdout.decode('utf-8')
    variables = dict(item.split('=', 1) for item in out.split('\0') if item)
    for name in ('PATH', 'PWD', 'SHLVL', '_', 'OLDPWD'):
        variables.pop(name, None)
    return variables


@pytest.mark.skipif(shutil.which('sh') is None, reason='no sh')
def test_hostile_values_stay_values(tmp_path):
    canary = tmp_path / 'canary'
    environment = {name: value.format(canary=canary) if isinstance(value, str) else value for name, value in HOSTILE.items()}
    path = tmp_path / 'environment'
    path.write_text(render(tmp_path, environment, secret='s3cr"et\'$(touch %s)' % canary))

    got = source_with_sh(path)

    assert not canary.exists(), 'a value ran a command'
    assert 'INJECTED' not in got and 'INJECTED2' not in got
    expected = {name: str(value) for name, value in environment.items()}
    expected.update(
        RAILS_ENV='production',
        RAILS_LOG_TO_STDOUT='1',
        DATABASE_URL='postgres://demo:Secret123@127.0.0.1:5432/demo',
        SECRET_KEY_BASE='s3cr"et\'$(touch %s)' % canary,
    )
    assert got == expected


def test_every_line_is_a_comment_or_one_assignment(tmp_path):
    text = render(tmp_path, {'A': 'x\ny', 'B': "'"})
    # a value with a newline spans lines inside its quotes; outside them every
    # line starts a NAME= assignment or a comment
    assert "A='x\ny'" in text
    assert "B=''\"'\"''" in text
