# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a YAML inventory of N local hosts: make_inventory.py PREFIX N OUT."""

from __future__ import annotations

import json
import sys


def main() -> None:
    prefix, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    hosts = {f'{prefix}{i:03d}': {'site_ip': f'10.{ord(prefix[0]) % 200}.{i // 250}.{i % 250 + 1}'}
             for i in range(count)}
    doc = {'all': {'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable},
                   'hosts': hosts,
                   'children': {'dns_servers': {'hosts': {name: None for name in list(hosts)[:3]}}}}}
    with open(out, 'w', encoding='utf-8') as handle:
        json.dump(doc, handle, indent=1)


if __name__ == '__main__':
    main()
