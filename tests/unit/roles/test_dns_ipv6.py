# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IPv6 in the DNS roles, with a real ansible-playbook on local hosts and a SQLite store (no BIND, no network):
what dns_server builds from host_record records with address6 (AAAA, ip6.arpa zones, ACLs), what resolver writes
into resolv.conf (families in order, at most 3 lines, the IPv4-only file unchanged) and what it exports.
The same against BIND on the test hosts: extensions/molecule/dns/verify.yml."""

from __future__ import annotations

import grp
import ipaddress
import json
import os
import pwd
import re
from pathlib import Path

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.store import close_all, open_store

ROLES = Path(__file__).resolve().parents[3] / 'roles'

HOSTS = {'ns1': {}, 'ns2': {}, 'web1': {}, 'old1': {}}
GROUPS = {'dns_servers': ['ns1', 'ns2']}
V4 = {'ns1': '10.0.0.1', 'ns2': '10.0.0.2', 'web1': '10.0.0.3', 'old1': '10.0.0.4'}
V6 = {'ns1': 'fd00:1::1', 'ns2': 'fd00:1::2', 'web1': 'fd00:1::3'}  # old1: IPv4 only


def fill_store(url: str, v6: dict[str, str] | None = None, servers6: dict[str, str] | None = None):
    v6 = V6 if v6 is None else v6
    store = open_store(url)
    for host, address in V4.items():
        data = {'name': host, 'address': address}
        if host in v6:
            data['address6'] = v6[host]
        store.apply('default', host, [{'type': 'host_record', 'data': data}])
    for host in GROUPS['dns_servers']:
        data = {'address': V4[host], 'port': 53, 'zone': 'site.test'}
        if host in (v6 if servers6 is None else servers6):
            data['address6'] = (v6 if servers6 is None else servers6)[host]
        store.apply('default', host, [{'type': 'dns_server', 'data': data}])
    close_all()


def reverse_zone6(address: str, prefix: int) -> str:
    """The ip6.arpa zone of address's /prefix network, by the standard library (not netaddr, which the role uses)."""
    return '.'.join(ipaddress.ip_address(address).reverse_pointer.split('.')[(128 - prefix) // 4:])


DNS_SERVER = """
- hosts: ns1
  gather_facts: false
  tasks:
    - name: zone data
      ansible.builtin.include_role: {name: podim.fleet.dns_server, tasks_from: zone_data, public: true}
    - name: acl
      ansible.builtin.include_role: {name: podim.fleet.dns_server, tasks_from: acl, public: true}
    - name: zones
      ansible.builtin.debug:
        msg: >-
          {{ lookup('ansible.builtin.template', roles ~ '/dns_server/templates/'
                    ~ ('forward.zone.j2' if item == dns_server_zone else 'reverse.zone.j2'),
                    template_vars={'__dns_server_zone_item': item, '__dns_server_serial': 1, '__dns_server_hash': 'x',
                                   'ansible_managed': 'managed'}) }}
      loop: "{{ __dns_server_zones }}"
    - name: options
      ansible.builtin.debug:
        msg: >-
          {{ lookup('ansible.builtin.template', roles ~ '/dns_server/templates/named.conf.options.j2',
                    template_vars={'ansible_managed': 'managed', '__dns_server_working_dir': '/var/cache/bind'}) }}
"""


def run_dns_server(run_playbook, local_inventory, tmp_path, sqlite_url, **extra):
    (tmp_path / 'extra.json').write_text(json.dumps(dict(extra, roles=str(ROLES))))
    return run_playbook(DNS_SERVER, local_inventory(HOSTS, GROUPS), {'PODIM_FLEET_STORE': sqlite_url},
                        args=['-e', '@extra.json'])


def zone_texts(run) -> dict[str, str]:
    return {item['item']: item['msg'] for item in run.results['ns1']['zones']['results']}


def records(text: str) -> list[tuple[str, str, str]]:
    """(owner, type, data) of the A, AAAA and PTR lines of a zone file."""
    return re.findall(r'^(\S+)\s+IN\s+(A|AAAA|PTR)\s+(\S+)$', text, re.M)


def acl(text: str, name: str) -> list[str]:
    body = re.search(r'acl %s \{\n(.*?)\n\};' % name, text, re.S).group(1)
    return [line.strip().rstrip(';') for line in body.splitlines()]


def test_aaaa_ip6_arpa_zones_and_acls_from_address6(run_playbook, local_inventory, tmp_path, sqlite_url):
    fill_store(sqlite_url)
    run = run_dns_server(run_playbook, local_inventory, tmp_path, sqlite_url)
    assert run.rc == 0, run.out
    zones = zone_texts(run)
    zone6 = reverse_zone6('fd00:1::1', 64)
    assert zone6 == '0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa'
    assert sorted(zones) == sorted(['site.test', '0.0.10.in-addr.arpa', zone6])
    assert records(zones['site.test']) == [
        ('ns1', 'A', '10.0.0.1'), ('ns1', 'AAAA', 'fd00:1::1'), ('ns2', 'A', '10.0.0.2'), ('ns2', 'AAAA', 'fd00:1::2'),
        ('old1', 'A', '10.0.0.4'), ('web1', 'A', '10.0.0.3'), ('web1', 'AAAA', 'fd00:1::3')]
    # the IPv4 lines are written as before ("IN A" and five spaces)
    assert re.search(r'^old1 +IN A     10\.0\.0\.4$', zones['site.test'], re.M)
    assert sorted(records(zones['0.0.10.in-addr.arpa'])) == [
        ('1', 'PTR', 'ns1.site.test.'), ('2', 'PTR', 'ns2.site.test.'), ('3', 'PTR', 'web1.site.test.'),
        ('4', 'PTR', 'old1.site.test.')]
    # each IPv6 host once, with the name's labels relative to the zone: absolute, it is the address's reverse name
    ptr6 = records(zones[zone6])
    assert sorted(f'{owner}.{zone6}' for owner, _t, _d in ptr6) == sorted(
        ipaddress.ip_address(V6[h]).reverse_pointer for h in ('ns1', 'ns2', 'web1'))
    assert sorted(name for _o, _t, name in ptr6) == ['ns1.site.test.', 'ns2.site.test.', 'web1.site.test.']
    assert 'IN NS    ns1.site.test.' in zones[zone6] and 'IN NS    ns2.site.test.' in zones[zone6]

    options = run.results['ns1']['options']['msg']
    site = ['localhost', '10.0.0.1/32', '10.0.0.2/32', '10.0.0.3/32', '10.0.0.4/32',
            'fd00:1::1/128', 'fd00:1::2/128', 'fd00:1::3/128']
    assert acl(options, 'podim_fleet_site') == site
    assert acl(options, 'podim_fleet_recursion') == site
    assert acl(options, 'podim_fleet_transfer') == ['10.0.0.1/32', '10.0.0.2/32', 'fd00:1::1/128', 'fd00:1::2/128']
    assert 'listen-on-v6 { any; };' in options and 'listen-on { any; };' in options
    assert 'each IPv6 address as\n// /128' in options


def test_site_prefix6_and_reverse6_prefix(run_playbook, local_inventory, tmp_path, sqlite_url):
    fill_store(sqlite_url)
    run = run_dns_server(run_playbook, local_inventory, tmp_path, sqlite_url,
                         dns_server_site_prefix6=64, dns_server_reverse6_prefix=48)
    assert run.rc == 0, run.out
    assert acl(run.results['ns1']['options']['msg'], 'podim_fleet_site')[-1:] == ['fd00:1::/64']
    zone6 = reverse_zone6('fd00:1::1', 48)
    assert zone6 == '0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa'
    assert zone6 in zone_texts(run)
    assert sorted(owner for owner, _t, _d in records(zone_texts(run)[zone6])) == [
        '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0', '2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0',
        '3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0']


def test_bad_ipv6_prefixes_fail_before_any_file(run_playbook, local_inventory, tmp_path, sqlite_url):
    fill_store(sqlite_url)
    run = run_dns_server(run_playbook, local_inventory, tmp_path, sqlite_url,
                         dns_server_reverse6_prefix=62, dns_server_site_prefix6=0)
    assert run.rc != 0
    assert 'zones' not in run.results['ns1']
    assert 'dns_server_site_prefix6 8 to 128 (it is 0)' in run.out, run.out
    assert 'dns_server_reverse6_prefix a multiple of 4 (whole nibbles) from 4 to 124 (it is 62)' in run.out


def test_without_address6_the_zones_are_ipv4_only(run_playbook, local_inventory, tmp_path, sqlite_url):
    fill_store(sqlite_url, v6={})
    run = run_dns_server(run_playbook, local_inventory, tmp_path, sqlite_url)
    assert run.rc == 0, run.out
    assert sorted(zone_texts(run)) == ['0.0.10.in-addr.arpa', 'site.test']
    assert 'AAAA' not in zone_texts(run)['site.test']
    assert not [n for n in acl(run.results['ns1']['options']['msg'], 'podim_fleet_site') if ':' in n]


RESOLVER = """
- hosts: clients
  gather_facts: true
  gather_subset: ['!all', 'min']  # the role's vars.yml picks its file by distribution
  tasks:
    - name: resolv_conf
      ansible.builtin.include_role: {name: podim.fleet.resolver, tasks_from: resolv_conf}
"""

# clients bound to ns2 then ns1, with their own settings (inventory host vars)
CLIENTS = {
    'c-default': {},
    'c-v6-first': {'resolver_address_families': ['ipv6', 'ipv4']},
    'c-v4': {'resolver_address_families': ['ipv4']},
    'c-v6': {'resolver_address_families': ['ipv6']},
    'c-four': {'resolver_max_nameservers': 4},
    'c-unknown': {'resolver_address_families': ['inet6']},
}


def resolv_conf(run_playbook, local_inventory, tmp_path, sqlite_url, clients) -> tuple[object, dict]:
    """Run the entry point resolv_conf on the clients; their files (None: not written) by name."""
    conf = tmp_path / 'conf'
    conf.mkdir()
    (tmp_path / 'extra.json').write_text(json.dumps({
        '__resolver_conf_path': f'{conf}/{{{{ inventory_hostname }}}}',
        '__resolver_conf_owner': pwd.getpwuid(os.getuid()).pw_name,
        '__resolver_conf_group': grp.getgrgid(os.getgid()).gr_name, '__resolver_nscd': str(tmp_path / 'no-nscd')}))
    bound = {'podim_fleet_bindings': {'resolvers': {'servers': ['ns2', 'ns1']}}}
    hosts = dict(HOSTS, **{name: dict(bound, **CLIENTS[name]) for name in clients})
    run = run_playbook(RESOLVER, local_inventory(hosts, dict(GROUPS, clients=list(clients))),
                       {'PODIM_FLEET_STORE': sqlite_url}, args=['-e', '@extra.json'])
    return run, {name: (conf / name).read_text() if (conf / name).exists() else None for name in clients}


def nameservers(text: str) -> list[str]:
    return re.findall(r'^nameserver (\S+)$', text, re.M)


needs_debian = pytest.mark.skipif(not Path('/etc/debian_version').exists(),
                                  reason="the resolver role has vars for Debian only (the controller's facts pick them)")


@needs_debian
def test_nameservers_by_family_then_bound_order(run_playbook, local_inventory, tmp_path, sqlite_url):
    fill_store(sqlite_url)
    run, files = resolv_conf(run_playbook, local_inventory, tmp_path, sqlite_url, CLIENTS)
    # each family in order, each server in the bound order (ns2 first), at most resolver_max_nameservers
    assert nameservers(files['c-default']) == ['10.0.0.2', '10.0.0.1', 'fd00:1::2'], run.out
    assert nameservers(files['c-v6-first']) == ['fd00:1::2', 'fd00:1::1', '10.0.0.2']
    assert nameservers(files['c-v4']) == ['10.0.0.2', '10.0.0.1']
    assert nameservers(files['c-v6']) == ['fd00:1::2', 'fd00:1::1']
    assert nameservers(files['c-four']) == ['10.0.0.2', '10.0.0.1', 'fd00:1::2', 'fd00:1::1']
    # an unknown family fails the argument spec, before anything is written
    assert files['c-unknown'] is None and run.rc != 0
    assert 'resolver_address_families' in json.dumps(run.results['c-unknown']) and 'inet6' in run.out


@needs_debian
def test_without_ipv6_the_file_is_the_ipv4_one(run_playbook, local_inventory, tmp_path, sqlite_url):
    fill_store(sqlite_url, v6={})
    run, files = resolv_conf(run_playbook, local_inventory, tmp_path, sqlite_url, ['c-default', 'c-v4', 'c-v6'])
    assert files['c-default'] == files['c-v4'], run.out
    assert files['c-default'].endswith('search site.test\nnameserver 10.0.0.2\nnameserver 10.0.0.1\n'
                                       'options timeout:2 attempts:2 no-tld-query\n')
    # IPv6 only, and no server has an IPv6 address: the role fails and writes nothing
    assert files['c-v6'] is None and run.rc != 0
    assert 'with an address of the families in resolver_address_families (ipv6)' in json.dumps(run.results['c-v6'])


@needs_debian
def test_a_server_without_ipv6_is_skipped_in_the_ipv6_pass(run_playbook, local_inventory, tmp_path, sqlite_url):
    fill_store(sqlite_url, servers6={'ns1': 'fd00:1::1'})  # ns2, the first bound server, has no address6
    run, files = resolv_conf(run_playbook, local_inventory, tmp_path, sqlite_url, ['c-default', 'c-v6-first'])
    assert run.rc == 0, run.out
    assert nameservers(files['c-default']) == ['10.0.0.2', '10.0.0.1', 'fd00:1::1']
    assert nameservers(files['c-v6-first']) == ['fd00:1::1', '10.0.0.2', '10.0.0.1']


EXPORT = """
- hosts: exporters
  gather_facts: false
  tasks:
    - name: export
      ansible.builtin.include_role: {name: podim.fleet.resolver, tasks_from: export}
"""

EXPORTERS = {
    'e-canonical': {'resolver_address': '10.0.0.5', 'resolver_address6': 'FD00:1:0::5'},
    'e-none': {'resolver_address': '10.0.0.6', 'resolver_address6': ''},
    'e-v4-in-address6': {'resolver_address': '10.0.0.7', 'resolver_address6': '10.0.0.7'},
    'e-v6-in-address': {'resolver_address': 'fd00:1::8', 'resolver_address6': ''},
}


def test_export_address6(run_playbook, local_inventory, tmp_path, sqlite_url):
    run = run_playbook(EXPORT, local_inventory(EXPORTERS, {'exporters': list(EXPORTERS)}),
                       {'PODIM_FLEET_STORE': sqlite_url})
    stored = {r.host: r.data for r in open_store(sqlite_url).query('default', ['host_record'])}
    assert stored == {'e-canonical': {'name': 'e-canonical', 'address': '10.0.0.5', 'address6': 'fd00:1::5'},
                      'e-none': {'name': 'e-none', 'address': '10.0.0.6'}}, run.out
    assert 'data.address6 must be an IPv6 address' in json.dumps(run.results['e-v4-in-address6'])
    assert 'data.address must be an IPv4 address' in json.dumps(run.results['e-v6-in-address'])
