# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an export must satisfy before it reaches the store: policy, value schema, and the records of one task."""

from __future__ import annotations

import os
import socket
import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.addresses import canonical_address
from ansible_collections.podim.fleet.plugins.plugin_utils.store.base import (
    StoreError, check_key, check_name, encode_record,
)
from ansible_collections.podim.fleet.plugins.plugin_utils.typenames import plain_type_names, type_name

SCHEMA_KINDS = ('address', 'network', 'port', 'integer', 'string', 'boolean')
# The options of one record: podim.fleet.export's own (type, key, data, tags, schema) and each item of its `records`.
RECORD_OPTIONS: dict[str, dict[str, t.Any]] = {
    'type': {'type': 'str', 'required': True},
    'key': {'type': 'str', 'default': 'default'},
    'data': {'type': 'dict', 'default': {}},
    'tags': {'type': 'list', 'elements': 'str', 'default': []},
    'schema': {'type': 'dict', 'default': {}},
}
# At most this many records in one task: all of them are written in one transaction, under the store's write lock
# (SQLite) or locks on their rows (PostgreSQL), which the other writers wait for.
MAX_RECORDS = 1000
NOTHING_WRITTEN = 'Nothing was written.'


class ExportError(ValueError):
    """An export that must not be written; the message says why and what to do."""


def check_policy(policy: dict[str, list[str]] | None, typ: str, host: str, host_groups: t.Collection[str],
                 origin: str) -> None:
    """Only members of the groups the policy names may export a type it names."""
    if not policy or typ not in policy:
        return
    allowed = policy[typ]
    if set(allowed) & set(host_groups):
        return
    raise ExportError(f'export policy ({origin}) does not allow host {host} to export type {typ!r}: '
                      f'only members of {", ".join(allowed) or "(no group)"} may; {host} is in '
                      f'{", ".join(sorted(host_groups)) or "no group"}. Nothing was written.')


def _normalize_address(value: t.Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ExportError(f'data.{path} must be an IP address string, got {value!r}')
    address = canonical_address(value.strip())
    if address is None:
        raise ExportError(f'data.{path} is not a valid IP address: {value!r}')
    return address


def _normalize_network(value: t.Any, path: str) -> str:
    import netaddr
    try:
        return str(netaddr.IPNetwork(str(value).strip()).cidr)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise ExportError(f'data.{path} is not a valid IP network (CIDR): {value!r}') from None


def _normalize(kind: str, value: t.Any, path: str) -> t.Any:
    if isinstance(value, list):
        return [_normalize(kind, item, f'{path}[{i}]') for i, item in enumerate(value)]
    if kind == 'address':
        return _normalize_address(value, path)
    if kind == 'network':
        return _normalize_network(value, path)
    if kind in ('port', 'integer'):
        try:
            number = int(str(value).strip()) if not isinstance(value, bool) else None
        except ValueError:
            number = None
        if number is None or (kind == 'port' and not 0 < number < 65536):
            wanted = 'a port number (1-65535)' if kind == 'port' else 'an integer'
            raise ExportError(f'data.{path} must be {wanted}, got {value!r}')
        return number
    if kind == 'boolean':
        if isinstance(value, bool):
            return value
        raise ExportError(f'data.{path} must be a boolean, got {value!r}')
    if not isinstance(value, str):
        raise ExportError(f'data.{path} must be a string, got {value!r}')
    return value


def is_address_key(key: str) -> bool:
    return key == 'address' or key.endswith('_address')


def normalize_data(data: t.Any, schema: dict[str, str] | None = None) -> dict:
    """Validate and normalize addresses (keys address/*_address) and schema-declared fields.

    schema maps a dotted path (`db.port`) to a kind (address, network, port,
    integer, string, boolean); a declared path must be present.
    """
    if not isinstance(data, dict):
        raise ExportError(f'data must be a mapping, got {type_name(data)}')
    schema = dict(schema or {})
    for path, kind in schema.items():
        if kind not in SCHEMA_KINDS:
            raise ExportError(f'schema: {path!r} has unknown kind {kind!r}; use one of {", ".join(SCHEMA_KINDS)}')

    def walk(node: t.Any, prefix: str) -> t.Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if not isinstance(key, str):
                    raise ExportError(f'data{"." + prefix if prefix else ""} has a non-string key {key!r}')
                path = f'{prefix}.{key}' if prefix else key
                if path in schema:
                    out[key] = _normalize(schema[path], value, path)
                elif is_address_key(key) and value is not None:
                    out[key] = _normalize('address', value, path)
                else:
                    out[key] = walk(value, path)
            return out
        if isinstance(node, list):
            return [walk(item, f'{prefix}[{i}]') for i, item in enumerate(node)]
        return node

    result = walk(data, '')
    for path in schema:
        node: t.Any = result
        for part in path.split('.'):
            if not isinstance(node, dict) or part not in node:
                raise ExportError(f'schema declares data.{path} but the data has no such field')
            node = node[part]
    return result


def check_type_schema(typ: str, data: dict) -> dict:
    """Data of a known record type (plugin_utils/schemas.py) must satisfy its schema."""
    from ansible_collections.podim.fleet.plugins.plugin_utils.schemas import RecordError, validate
    try:
        return validate(typ, data, coerce=True)
    except RecordError as exc:
        raise ExportError(f'record of type {typ!r} refused by its schema: {exc}. Nothing was written.') from None


def _shown(value: t.Any, limit: int = 40) -> str:
    """A value of a record for an error message, cut short: the input may be hostile or huge."""
    text = repr(str(value) if isinstance(value, str) else value)
    return text if len(text) <= limit else f'{text[:limit]}...'


def _label(index: int, item: t.Any) -> str:
    """records[3] (type 'dns_server', key 'default'): which record of the task an error is about."""
    if not isinstance(item, t.Mapping):
        return f'records[{index}]'
    return f"records[{index}] (type {_shown(item.get('type'))}, key {_shown(item.get('key', 'default'))})"


def _options(validator: t.Any, item: t.Any) -> dict:
    """One item of `records` checked and completed like the task's own options (ansible-core's validation)."""
    from ansible.module_utils.errors import UnsupportedError
    if not isinstance(item, t.Mapping):
        raise ExportError(f'must be a mapping with {", ".join(RECORD_OPTIONS)}, got {type_name(item)}')
    result = validator.validate(dict(item))
    if result.error_messages:
        first = result.errors[0]
        message = plain_type_names(result.errors.msg)
        if isinstance(first, UnsupportedError):
            message = f'unsupported option {message}'
        raise ExportError(message)
    return result.validated_parameters


def _reason(exc: Exception) -> str:
    """The message of a refusal, as one sentence before the task's own `Nothing was written.`"""
    text = str(exc).strip()
    if text.endswith(NOTHING_WRITTEN):
        text = text[:-len(NOTHING_WRITTEN)].rstrip()
    return text if text.endswith(('.', '!', '?')) else text + '.'


def check_records(items: t.Any, present: bool, namespace: str, host: str, host_groups: t.Collection[str],
                  policies: t.Sequence[tuple[dict[str, list[str]] | None, str]] = ()) -> list[dict]:
    """The records of one task (option `records`), each checked as the single form checks its one record.

    Returns {type, key, data, tags} per record in the order given, data normalized (only type and key when not
    present: what is removed). Any refused record refuses them all: ExportError naming its index, type and key
    and why, so that nothing of the task is written. policies: (policy, where it comes from) pairs, each applied.
    """
    if not isinstance(items, (list, tuple)):
        raise ExportError(f'records must be a list of mappings, got {type_name(items)}. {NOTHING_WRITTEN}')
    if len(items) > MAX_RECORDS:
        raise ExportError(f'records holds {len(items)} records, more than {MAX_RECORDS} for one task (one '
                          'transaction, which holds the store\'s write lock while it runs): split them over several '
                          f'tasks. {NOTHING_WRITTEN}')
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    validator = ArgumentSpecValidator(RECORD_OPTIONS)
    checked: list[dict] = []
    first_index: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        label = _label(index, item)
        try:
            options = _options(validator, item)
            label = _label(index, options)
            typ, key = check_name('type', options['type']), check_key(options['key'])
            if (typ, key) in first_index:
                raise ExportError(f'the same type and key as records[{first_index[typ, key]}]: a task may list '
                                  'each record once')
            first_index[typ, key] = index
            if not present:
                checked.append({'type': typ, 'key': key})
                continue
            for policy, origin in policies:
                check_policy(policy, typ, host, host_groups, origin)
            data = check_type_schema(typ, normalize_data(options['data'], options['schema']))
            record = {'type': typ, 'key': key, 'data': data, 'tags': list(options['tags'])}
            encode_record(namespace, host, record)  # JSON, tags and the size limit, as the store will check them
            checked.append(record)
        except (ExportError, StoreError) as exc:
            raise ExportError(f'{label}: {_reason(exc)} {NOTHING_WRITTEN}') from None
    return checked


# run_metadata of the run whose main process has this pid, worked out there once (remember_run_metadata)
_RUNS: dict[int, dict[str, t.Any]] = {}


def exporter_metadata() -> dict[str, t.Any]:
    """Who wrote a record: controller, user, the ansible-playbook run and its playbooks.

    Action plugins run in a worker forked from the ansible-playbook process,
    so the parent pid plus its start time identifies the run.
    """
    run_pid = os.getppid()
    known = _RUNS.get(run_pid)
    return dict(known) if known is not None else run_metadata(run_pid)


def remember_run_metadata() -> None:
    """In ansible-playbook's main process, before it forks: its workers inherit the run's metadata."""
    _RUNS[os.getpid()] = run_metadata(os.getpid())


def run_metadata(run_pid: int) -> dict[str, t.Any]:
    """Who acts (the history's `actor`): controller, user, run id (pid of the ansible process and its start
    time, or PODIM_FLEET_RUN_ID) and the playbooks of the run (none for ansible-inventory)."""
    started = ''
    try:
        with open(f'/proc/{run_pid}/stat', 'rb') as stat:  # bytes: no codec to look up in each worker
            started = stat.read().rsplit(b')', 1)[1].split()[19].decode()
    except (OSError, IndexError):
        pass
    controller = socket.gethostname()
    run_id = os.environ.get('PODIM_FLEET_RUN_ID') or f'{controller}:{run_pid}:{started}'
    try:
        import getpass
        user = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        user = str(os.getuid())
    out: dict[str, t.Any] = {'controller': controller, 'user': user, 'run_id': run_id}
    from ansible import context
    playbooks = [str(arg) for arg in (context.CLIARGS.get('args') or ()) if str(arg).endswith(('.yml', '.yaml'))]
    if playbooks:
        out['playbook'] = ', '.join(playbooks)
    return out
