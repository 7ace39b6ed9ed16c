# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""podim.fleet.store_grant: what a controller's database role may do in a shared PostgreSQL store."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.podim.fleet.plugins.plugin_utils import settings
from ansible_collections.podim.fleet.plugins.plugin_utils.store import StoreError
from ansible_collections.podim.fleet.plugins.plugin_utils.store.urls import scrub
from ansible_collections.podim.fleet.plugins.plugin_utils.typenames import validate_args

ARGUMENT_SPEC = {
    'role': {'type': 'str', 'required': True},
    'namespaces': {'type': 'list', 'elements': 'str', 'required': True, 'aliases': ['namespace']},
    'privileges': {'type': 'list', 'elements': 'str', 'choices': ['read', 'write', 'export', 'decide']},
    'types': {'type': 'list', 'elements': 'str', 'default': ['all']},
    'placement_group': {'type': 'str'},
    'state': {'type': 'str', 'default': 'present', 'choices': ['present', 'absent']},
    'create_role': {'type': 'bool', 'default': False},
    'role_password': {'type': 'str', 'no_log': True},
    'store_url': {'type': 'str'},
}
ALL_TYPE_WORDS = ('all', '*')


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    BYPASS_HOST_LOOP = True  # one change of the store per task, not one per host
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        _dummy, args = validate_args(self, ARGUMENT_SPEC)
        url = None
        try:
            url, _origin = settings.resolve('store_url', args['store_url'])
            result.update(self._grant(args, url))
        except (StoreError, settings.SettingError) as exc:
            raise AnsibleActionFail(f'podim.fleet.store_grant ({args["role"]}): {scrub(str(exc), url)}') from None
        return result

    def _grant(self, args: dict, url: str) -> dict:
        if not isinstance(url, str) or url.split(':', 1)[0].lower() not in ('postgresql', 'postgres'):
            raise StoreError('grants exist only in a PostgreSQL store (store_url postgresql://...); a SQLite store '
                             "has one user, the controller's Unix user (docs/security.md)")
        from ansible_collections.podim.fleet.plugins.plugin_utils.store.grants import GrantAdmin
        from ansible_collections.podim.fleet.plugins.plugin_utils.store.postgresql import PostgreSQLStore

        types = args['types']
        if types is not None and any(typ in ALL_TYPE_WORDS for typ in types):
            if len(types) > 1:
                raise StoreError(f'types {types!r}: "all" stands alone (every type), or name the types')
            types = None
        privileges = None
        if args['privileges'] is not None:
            privileges = sorted({'write' if p == 'export' else p for p in args['privileges']})
        # check mode must not even create or upgrade the store's schema
        store = PostgreSQLStore(url, migrate=not self._task.check_mode)
        try:
            admin = GrantAdmin(store)
            plan = admin.run(args['role'], args['namespaces'], privileges, types, args['placement_group'],
                             args['state'], args['create_role'], password=args['role_password'],
                             check_mode=self._task.check_mode)
        finally:
            store.close()
        warnings = list(plan.warnings)
        if args['role_password'] and plan.role_exists:
            warnings.append(f'role {plan.role} exists: role_password is only used when the role is created')
        if not plan.schema_current:
            warnings.append('the store schema is missing or older than this collection: it would be created or '
                            'upgraded')
        out = {
            'changed': plan.changed,
            'role': plan.role,
            'role_created': plan.create_role,
            'grants': [grant.public() for grant in plan.after],
            'table_privileges': plan.privileges_after,
            'store_url': store.url,
        }
        if warnings:
            out['warnings'] = warnings
        if self._task.diff and plan.changed:
            out['diff'] = {'before': plan.diff_text(after=False), 'after': plan.diff_text(after=True),
                           'before_header': f'{store.url} role {plan.role}',
                           'after_header': f'{store.url} role {plan.role}'}
        return out
