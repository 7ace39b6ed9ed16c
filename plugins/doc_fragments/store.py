# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Store options shared by podim.fleet.export, podim.fleet.purge, podim.fleet.exported and podim.fleet.rules."""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  store_url:
    description:
      - Where exported facts and creation-rule decisions are kept.
      - C(sqlite:///path/to/file.sqlite) for an embedded SQLite file (created on first write with mode 0600);
        C(sqlite:///~/x.sqlite) expands C(~); an absolute path takes four slashes (C(sqlite:////var/lib/fleet.sqlite)).
        Only a path where no file exists is created as a store; an existing file that is not a podim.fleet store is
        refused and left unchanged. A symbolic link to a store is followed.
      - C(postgresql://user@host:port/database) for a PostgreSQL database shared by several controllers
        (needs the Python package C(psycopg) version 3 on the controller).
      - Keep the password out of the URL, in a password file that libpq reads, C(~/.pgpass) (mode 0600), the file
        named by the environment variable E(PGPASSFILE) or by C(?passfile=/path) in the URL, or a service of
        C(~/.pg_service.conf) (C(postgresql://?service=fleet)). A password given in the URL anyway is shown as
        C(***) in results and errors.
      - When not set anywhere, C(sqlite:///~/.ansible/podim_fleet.sqlite).
    type: str
    env:
      - name: PODIM_FLEET_STORE
    ini:
      - section: podim_fleet
        key: store_url
  namespace:
    description:
      - Keeps fleets sharing one store apart (for example C(staging) and C(production)).
      - Records and decisions of one namespace are invisible from every other.
    type: str
    default: default
    env:
      - name: PODIM_FLEET_NAMESPACE
    ini:
      - section: podim_fleet
        key: namespace
"""

    # Modules cannot declare env/ini sources; their action plugins resolve the
    # same sources (plugin_utils/settings.py), documented in the descriptions.
    MODULE = r"""
options:
  store_url:
    description:
      - Where exported facts and creation-rule decisions are kept.
      - C(sqlite:///path/to/file.sqlite) for an embedded SQLite file (created on first write with mode 0600);
        C(sqlite:///~/x.sqlite) expands C(~); an absolute path takes four slashes (C(sqlite:////var/lib/fleet.sqlite)).
        Only a path where no file exists is created as a store; an existing file that is not a podim.fleet store is
        refused and left unchanged. A symbolic link to a store is followed.
      - C(postgresql://user@host:port/database) for a PostgreSQL database shared by several controllers
        (needs the Python package C(psycopg) version 3 on the controller).
      - Keep the password out of the URL, in a password file that libpq reads, C(~/.pgpass) (mode 0600), the file
        named by the environment variable E(PGPASSFILE) or by C(?passfile=/path) in the URL, or a service of
        C(~/.pg_service.conf) (C(postgresql://?service=fleet)). A password given in the URL anyway is shown as
        C(***) in results and errors.
      - When not set, the environment variable E(PODIM_FLEET_STORE), then C(store_url) in the C([podim_fleet])
        section of C(ansible.cfg), then C(sqlite:///~/.ansible/podim_fleet.sqlite).
    type: str
  namespace:
    description:
      - Keeps fleets sharing one store apart (for example C(staging) and C(production)).
      - When not set, the environment variable E(PODIM_FLEET_NAMESPACE), then C(namespace) in the
        C([podim_fleet]) section of C(ansible.cfg), then V(default).
    type: str
"""
