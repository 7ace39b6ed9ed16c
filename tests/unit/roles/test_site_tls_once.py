# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The site CA on the controller is checked once per run (roles/site_tls/tasks/ca.yml): the first play that
includes the role makes or checks it, later plays with the same settings skip the controller's tasks but still
install the CA's certificate on their hosts; a play with other settings checks again (and re-issues the CA when its
name changed). Local host, a CA in a temporary secrets directory."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='the CA certificate goes to root on the host (run as root)')

PLAY = """
- name: {name}
  hosts: local
  gather_facts: false
  tasks:
    - name: The site CA on the host
      ansible.builtin.include_role:
        name: podim.fleet.site_tls
        tasks_from: ca
      vars:
        site_tls_secrets_dir: "{{{{ secrets }}}}"
        site_tls_dest_dir: "{{{{ dest }}}}/{name}"
        site_tls_ca_common_name: {cn}
"""

ROLE = 'podim.fleet.site_tls : '
CA_TASKS = tuple(ROLE + name for name in (
    'Create the controller directories of the site CA (0700)', 'Generate the key of the site CA (once, 0600)',
    'Write the request of the site CA', 'Sign the certificate of the site CA (once)'))


def run_plays(run_playbook, local_inventory, tmp_path, plays):
    playbook = ''.join(PLAY.format(name=name, cn=cn) for name, cn in plays)
    run = run_playbook(playbook, local_inventory({'local': {}}), None,
                       ['-e', f'secrets={tmp_path}/secrets dest={tmp_path}/host'])
    assert run.rc == 0, run.out
    return run


def test_second_play_skips_the_controller_part(run_playbook, local_inventory, tmp_path):
    run = run_plays(run_playbook, local_inventory, tmp_path, [('first', 'Site CA'), ('second', 'Site CA')])
    last = run.results['local']
    # the results of the last play: the controller's part was checked by the first one
    for name in CA_TASKS:
        assert last[name].get('skipped'), (name, last[name])
    ca = (tmp_path / 'secrets' / 'tls' / 'ca.crt').read_bytes()
    assert (tmp_path / 'host' / 'first' / 'ca.crt').read_bytes() == ca
    assert (tmp_path / 'host' / 'second' / 'ca.crt').read_bytes() == ca
    assert last[ROLE + 'Install the site CA\'s certificate on the host']['changed']


def test_other_settings_are_checked_again(run_playbook, local_inventory, tmp_path):
    run_plays(run_playbook, local_inventory, tmp_path, [('first', 'Site CA')])
    before = (tmp_path / 'secrets' / 'tls' / 'ca.crt').read_bytes()
    run = run_plays(run_playbook, local_inventory, tmp_path, [('first', 'Site CA'), ('renamed', 'Renamed CA')])
    last = run.results['local']
    for name in CA_TASKS[1:]:
        assert not last[name].get('skipped'), (name, last[name])
    # a new name: a new request, and the CA issued anew from it
    assert last[CA_TASKS[2]]['changed']
    assert last[CA_TASKS[3]]['changed']
    after = (tmp_path / 'secrets' / 'tls' / 'ca.crt').read_bytes()
    assert after != before
    assert (tmp_path / 'host' / 'renamed' / 'ca.crt').read_bytes() == after
