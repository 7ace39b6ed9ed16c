# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""canonical_address is netaddr's answer, whatever the input: the IPv4 shortcut changes speed, never a result."""

from __future__ import annotations

import ipaddress

import netaddr
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.podim.fleet.plugins.plugin_utils.addresses import canonical_address


def reference(value):
    try:
        return str(netaddr.IPAddress(value, flags=netaddr.INET_PTON))
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None


@pytest.mark.parametrize('value', [
    '10.0.0.1', '0.0.0.0', '255.255.255.255', '010.0.0.1', '10.0.0', '10.0.0.1.', ' 10.0.0.1', '10.0.0.1\n',
    '10.0.0.256', '1e1.0.0.1', '0x0a.0.0.1', '::1', '2001:DB8::1', '::ffff:10.0.0.1', 'fe80::1%eth0', '', 'host',
    '10.0.0.1/32', 167772161, None, b'10.0.0.1', '١٠.0.0.1',
])
def test_known_forms(value):
    assert canonical_address(value) == reference(value)


@settings(max_examples=500, deadline=None)
@given(st.one_of(
    st.ip_addresses().map(str),
    st.ip_addresses(v=4).map(lambda a: str(a).replace('.', '.0', 1)),
    st.builds(lambda a, s: str(a) + s, st.ip_addresses(), st.sampled_from(['', ' ', '\n', '\x00', '.', ':'])),
    st.text(alphabet='0123456789abcdefABCDEF.:x% \n', max_size=45),
))
def test_any_string(value):
    assert canonical_address(value) == reference(value)


def test_ipv4_answers_without_netaddr(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, 'netaddr', None)  # an import of netaddr would raise ImportError
    assert canonical_address('192.0.2.7') == str(ipaddress.ip_address('192.0.2.7'))
