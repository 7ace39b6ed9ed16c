# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IP addresses in netaddr's canonical form, without importing netaddr for IPv4.

Every task runs in a worker forked per host; importing netaddr there costs
several ms of CPU per host and task.  For a dotted-quad IPv4 address,
netaddr.IPAddress(value, flags=INET_PTON) is socket.inet_pton(AF_INET) and
its text is inet_ntop's: the same function, already loaded.  Anything else
(IPv6, errors) goes to netaddr, which stays the reference.
"""

from __future__ import annotations

import socket
import typing as t


def canonical_address(value: t.Any) -> str | None:
    """str(netaddr.IPAddress(value, flags=netaddr.INET_PTON)), or None if netaddr refuses value."""
    if isinstance(value, str):
        try:
            return socket.inet_ntop(socket.AF_INET, socket.inet_pton(socket.AF_INET, value))
        except (OSError, ValueError, TypeError):
            pass  # not a dotted-quad IPv4 address: netaddr decides
    import netaddr
    try:
        return str(netaddr.IPAddress(value, flags=netaddr.INET_PTON))
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None
