# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Store settings shared by podim.fleet.export, podim.fleet.purge, podim.fleet.exported and podim.fleet.rules.

DOCUMENTATION and EXPORT_POLICY are also the definitions ansible-core's
config manager resolves for the action plugins (plugin_utils/settings.py),
so the sources, defaults and origins are declared here and nowhere else.
"""

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
    type: str
    default: sqlite:///~/.ansible/podim_fleet.sqlite
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
  history_days:
    description:
      - How many days of history (every change of a record or of a group's membership, see
        P(podim.fleet.history#lookup)) the store keeps. Older entries are removed when rules are evaluated
        and when records are purged, except the newest entry of each record and membership that still exists.
      - On PostgreSQL only roles that row-level security does not bind (the owner of the tables) remove entries;
        the history is append-only for every other role.
    type: float
    default: 90
    env:
      - name: PODIM_FLEET_HISTORY_DAYS
    ini:
      - section: podim_fleet
        key: history_days
"""

    # Used by the action plugin of podim.fleet.export, which cannot declare
    # env/ini sources itself; shown by podim.fleet.store_settings.
    EXPORT_POLICY = r"""
options:
  export_policy:
    description:
      - The operator's export policy, applied to every P(podim.fleet.export#module) task of this controller.
      - >-
        A mapping of record type to the inventory groups whose members may export it, as YAML or JSON text, for
        example C({"dns_server": ["dns_servers"], "database": ["db_servers"]}). A host outside those groups that
        exports such a type fails, and nothing is written. Types not named are not restricted.
      - Group membership comes from the inventory Ansible loaded, never from variables.
      - A task's own O(podim.fleet.export#module:export_policy) can only narrow this policy.
    type: str
    env:
      - name: PODIM_FLEET_EXPORT_POLICY
    ini:
      - section: podim_fleet
        key: export_policy
"""

    # Modules cannot declare env/ini sources; their action plugins resolve the
    # DOCUMENTATION definitions above through ansible-core (plugin_utils/settings.py).
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
        C(ansible-config dump -t lookup podim.fleet.store_settings) shows the value in effect and where it comes from.
    type: str
  namespace:
    description:
      - Keeps fleets sharing one store apart (for example C(staging) and C(production)).
      - When not set, the environment variable E(PODIM_FLEET_NAMESPACE), then C(namespace) in the
        C([podim_fleet]) section of C(ansible.cfg), then V(default), as for O(store_url).
    type: str
"""
