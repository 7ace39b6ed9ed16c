# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Rails deploy from the controller (roles/rails/tasks/deploy.yml, its first task) on the local host: one
archive, the modes the copy module gave (directories 0755, files 0644, whatever the checkout's modes), nothing
changed on the second run, a changed file shipped again, no archive left behind."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
import yaml

ROLE = Path(__file__).parents[3] / 'roles' / 'rails'

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='the deploy gives the files to root (run as root)')

PLAYBOOK = """
- hosts: local
  gather_facts: false
  vars:
    rails_app_git: ""
    rails_app_src: "{{ src }}"
    rails_app_dir: "{{ dest }}"
    rails_user: root
    role_path: "{{ role }}"
  tasks:
    - name: deploy
      ansible.builtin.include_tasks: ship.yml
  handlers:
    - name: Restart the application
      ansible.builtin.debug:
        msg: restart
"""


def modes(top: Path) -> dict[str, tuple[str, int, int]]:
    out = {}
    for path in sorted(top.rglob('*')) + [top]:
        st = path.lstat()
        out[str(path.relative_to(top))] = (stat.filemode(st.st_mode), st.st_uid, st.st_gid)
    return out


def test_ship_in_one_archive(run_playbook, local_inventory, tmp_path):
    ship = yaml.safe_load((ROLE / 'tasks' / 'deploy.yml').read_text())[0]
    assert ship['name'].startswith('Ship the application')
    (tmp_path / 'ship.yml').write_text(yaml.safe_dump([ship]))
    src = tmp_path / 'checkout'
    shutil.copytree(ROLE / 'files' / 'demo', src)
    # a checkout made under umask 002, with an executable and a link
    for path in [src, *src.rglob('*')]:
        path.chmod(0o775 if path.is_dir() else 0o664)
    (src / 'bin' / 'rails').chmod(0o775)
    (src / 'config' / 'Gemfile.link').symlink_to('../Gemfile')
    dest = tmp_path / 'srv' / 'demo'
    dest.parent.mkdir()
    tmp = tmp_path / 'controller-tmp'
    tmp.mkdir()
    args = ['-e', f'src={src} dest={dest} role={ROLE}']
    env = {'TMPDIR': str(tmp)}

    def deploy():
        run = run_playbook(PLAYBOOK, local_inventory({'local': {}}), env, args)
        assert run.rc == 0, run.out
        return run.results['local']

    first = deploy()
    assert first['Unpack the application on the host']['changed']
    assert first['Restart the application']
    assert first['Make a temporary file for the archive on the controller']['path'].startswith(f'{tmp}/')
    found = modes(dest)
    assert found['.'] == ('drwxr-xr-x', 0, 0)
    assert found['app/models'] == ('drwxr-xr-x', 0, 0)
    assert found['bin/rails'] == ('-rw-r--r--', 0, 0)
    assert found['config/Gemfile.link'] == ('-rw-r--r--', 0, 0)
    assert {mode for mode, _uid, _gid in found.values()} == {'drwxr-xr-x', '-rw-r--r--'}
    assert (dest / 'config' / 'Gemfile.link').read_text() == (src / 'Gemfile').read_text()
    assert list(tmp.iterdir()) == []

    second = deploy()
    assert not any(result.get('changed') for result in second.values()), second
    assert 'Restart the application' not in second
    assert modes(dest) == found

    (src / 'config' / 'routes.rb').write_text('# changed\n')
    third = deploy()
    assert third['Unpack the application on the host']['changed']
    assert (dest / 'config' / 'routes.rb').read_text() == '# changed\n'
    assert list(tmp.iterdir()) == []
