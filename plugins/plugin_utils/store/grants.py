# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Access control of the shared PostgreSQL store, enforced by PostgreSQL itself.

Whoever runs a playbook controls the controller, so nothing the client does
can be a boundary.  On PostgreSQL the boundary is the database role each
controller connects as:

* podim_grants (role, namespace, privilege, type, placement_group) says what
  each role may do: `read` a namespace, `write` (export) records of a type
  in it, optionally only for hosts that are current members of a group in
  the rule decisions of that namespace, `decide` (record rule decisions).
  Any grant in a namespace lets the role read it (the store compares with
  what is stored before it writes).  For `write`, a grant of the exact type
  wins over the grant of every type ('*').
* Row-level security on podim_records and podim_decisions reads it through
  SECURITY DEFINER functions owned by the tables' owner, with a fixed
  search_path and every name schema-qualified.  They look up `session_user`
  (the role that logged in, which no statement can change short of a
  superuser) rather than taking a role argument, so nobody can ask them
  about another role.  The policies decide which rows a role sees and check
  every row it inserts or updates.
* Placement: podim_placement holds the members of each group in the rule
  decisions, kept from podim_decisions by a trigger in the same transaction,
  so a check is an index look-up rather than JSON parsing.
* A trigger on each table checks the rows an UPDATE or DELETE would change
  (RLS would skip a visible row the role may not change without a word: the
  trigger raises instead, naming the role, namespace, type and host) and
  stamps `writer` with session_user, whatever the client sent.
* Table privileges (GRANT) are kept to what a role's grants need, so a role
  without grants cannot even read the tables.

The owner of the tables bypasses RLS (it is not FORCEd) and the triggers'
checks (`row_security_active` is false for it): the single-role setup of
earlier releases keeps working unchanged, and that role is the admin.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.store.base import StoreError

# Statements of the PostgreSQL-only part of the schema, versioned in
# podim_pg_schema and applied after the shared MIGRATIONS of base.py, in the
# same locked transaction.  Append-only like MIGRATIONS; "{s}" is the quoted
# schema of podim_records (str.replace, not format: the SQL has braces).
PG_MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE {s}.podim_grants (
            role TEXT NOT NULL,
            namespace TEXT NOT NULL,
            privilege TEXT NOT NULL CHECK (privilege IN ('read', 'write', 'decide')),
            type TEXT NOT NULL,
            placement_group TEXT,
            granted_by TEXT NOT NULL DEFAULT session_user,
            updated DOUBLE PRECISION NOT NULL DEFAULT extract(epoch FROM clock_timestamp()),
            CHECK (privilege = 'write' OR (type = '*' AND placement_group IS NULL)),
            PRIMARY KEY (role, namespace, privilege, type))""",
        'REVOKE ALL ON {s}.podim_grants FROM PUBLIC',
        # The members of each group in the rule decisions, one row per (group, host, rule), kept by a
        # trigger on podim_decisions in the same transaction: placement checks look a host up in an index
        # instead of parsing every decision's JSON on every write.  Nobody but the owner may touch it.
        """CREATE TABLE {s}.podim_placement (
            namespace TEXT NOT NULL,
            grp TEXT NOT NULL,
            host TEXT NOT NULL,
            rule TEXT NOT NULL,
            PRIMARY KEY (namespace, grp, host, rule))""",
        'CREATE INDEX podim_placement_by_rule ON {s}.podim_placement (namespace, rule)',
        'REVOKE ALL ON {s}.podim_placement FROM PUBLIC',
        # placement reads the decisions as JSON: a state that is not JSON must not get in
        'ALTER TABLE {s}.podim_decisions ADD CONSTRAINT podim_decisions_state_is_json '
        'CHECK ((state::jsonb) IS NOT NULL)',
        """CREATE FUNCTION {s}.podim_placement_of(p_state TEXT) RETURNS TABLE (grp TEXT, host TEXT)
            LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
            AS $$
                SELECT DISTINCT p_state::jsonb ->> 'group', m ->> 'host'
                FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_state::jsonb -> 'members') = 'array'
                                               THEN p_state::jsonb -> 'members' ELSE '[]'::jsonb END) m
                WHERE p_state::jsonb ->> 'group' IS NOT NULL AND m ->> 'host' IS NOT NULL
            $$""",
        """CREATE FUNCTION {s}.podim_decisions_placement() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
            AS $$
            BEGIN
                IF TG_OP <> 'INSERT' THEN
                    DELETE FROM {s}.podim_placement p WHERE p.namespace = OLD.namespace AND p.rule = OLD.rule;
                END IF;
                IF TG_OP <> 'DELETE' THEN
                    INSERT INTO {s}.podim_placement (namespace, grp, host, rule)
                    SELECT NEW.namespace, m.grp, m.host, NEW.rule FROM {s}.podim_placement_of(NEW.state) m;
                END IF;
                RETURN NULL;
            END
            $$""",
        'CREATE TRIGGER podim_decisions_placement AFTER INSERT OR UPDATE OR DELETE ON {s}.podim_decisions '
        'FOR EACH ROW EXECUTE FUNCTION {s}.podim_decisions_placement()',
        'INSERT INTO {s}.podim_placement (namespace, grp, host, rule) '
        'SELECT d.namespace, m.grp, m.host, d.rule FROM {s}.podim_decisions d, {s}.podim_placement_of(d.state) m',
        # The namespaces the session's role holds a grant of p_privilege in (NULL: any grant).
        # plpgsql rather than sql: its plans are cached for the session; a sql function with SET is planned per call.
        """CREATE FUNCTION {s}.podim_fleet_namespaces(p_privilege TEXT) RETURNS SETOF TEXT
            LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
            AS $$
            BEGIN
                RETURN QUERY SELECT DISTINCT g.namespace FROM {s}.podim_grants g
                WHERE g.role = session_user AND (p_privilege IS NULL OR g.privilege = p_privilege);
            END
            $$""",
        # NULL when the session's role may write that record (p_placement: and publish it for that host),
        # else why not
        """CREATE FUNCTION {s}.podim_fleet_write_refusal(p_namespace TEXT, p_type TEXT, p_host TEXT,
                                                         p_placement BOOLEAN) RETURNS TEXT
            LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
            AS $$
            DECLARE
                wanted_group TEXT;
            BEGIN
                SELECT g.placement_group INTO wanted_group FROM {s}.podim_grants g
                WHERE g.role = session_user AND g.namespace = p_namespace AND g.privilege = 'write'
                  AND g.type IN (p_type, '*')
                ORDER BY g.type = '*' LIMIT 1;
                IF NOT FOUND THEN
                    RETURN format('role %L may not write records of type %L in namespace %L (host %L): '
                                  'it has no write grant for that type there', session_user, p_type,
                                  p_namespace, p_host);
                END IF;
                IF wanted_group IS NULL OR NOT p_placement THEN
                    RETURN NULL;
                END IF;
                PERFORM 1 FROM {s}.podim_placement p
                WHERE p.namespace = p_namespace AND p.grp = wanted_group AND p.host = p_host;
                IF FOUND THEN
                    RETURN NULL;
                END IF;
                RETURN format('role %L may export type %L in namespace %L only for hosts that are current '
                              'members of group %L in the rule decisions of that namespace; host %L is not',
                              session_user, p_type, p_namespace, wanted_group, p_host);
            END
            $$""",
        """CREATE FUNCTION {s}.podim_fleet_decide_refusal(p_namespace TEXT) RETURNS TEXT
            LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
            AS $$
            BEGIN
                PERFORM 1 FROM {s}.podim_grants g
                WHERE g.role = session_user AND g.namespace = p_namespace AND g.privilege = 'decide'
                  AND g.type = '*';
                IF FOUND THEN
                    RETURN NULL;
                END IF;
                RETURN format('role %L may not record rule decisions in namespace %L: it has no decide grant there',
                              session_user, p_namespace);
            END
            $$""",
        # The row-level security policies check every new row (WITH CHECK).  The guard triggers check the
        # rows an UPDATE or DELETE would change, which RLS would skip without a word (a visible row the role
        # may not change), and stamp `writer`.  SECURITY INVOKER: row_security_active() must see the caller,
        # so that exactly the roles RLS binds are checked (not the owner, superusers, BYPASSRLS roles).
        """CREATE FUNCTION {s}.podim_records_guard() RETURNS trigger
            LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
            AS $$
            DECLARE
                refusal TEXT;
            BEGIN
                IF TG_OP <> 'INSERT' AND row_security_active(TG_RELID) THEN
                    -- removing or replacing needs the type, not the placement: a team may
                    -- clean up the record of a host that left the group
                    refusal := {s}.podim_fleet_write_refusal(OLD.namespace, OLD.type, OLD.host, false);
                    IF refusal IS NOT NULL THEN
                        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = refusal,
                            HINT = 'podim.fleet access control: the store''s admin grants access with '
                                   'podim.fleet.store_grant';
                    END IF;
                END IF;
                IF TG_OP = 'DELETE' THEN
                    RETURN OLD;
                END IF;
                IF TG_OP = 'UPDATE' AND (NEW.namespace, NEW.host, NEW.type, NEW.key, NEW.data, NEW.tags,
                                         NEW.exporter, NEW.updated)
                        IS NOT DISTINCT FROM (OLD.namespace, OLD.host, OLD.type, OLD.key, OLD.data, OLD.tags,
                                              OLD.exporter, OLD.updated) THEN
                    NEW.writer := OLD.writer;  -- only `seen` moved: the record is still the old writer's
                ELSE
                    NEW.writer := session_user;
                END IF;
                RETURN NEW;
            END
            $$""",
        """CREATE FUNCTION {s}.podim_decisions_guard() RETURNS trigger
            LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
            AS $$
            DECLARE
                refusal TEXT;
            BEGIN
                IF TG_OP <> 'INSERT' AND row_security_active(TG_RELID) THEN
                    refusal := {s}.podim_fleet_decide_refusal(OLD.namespace);
                    IF refusal IS NOT NULL THEN
                        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = refusal,
                            HINT = 'podim.fleet access control: the store''s admin grants access with '
                                   'podim.fleet.store_grant';
                    END IF;
                END IF;
                IF TG_OP = 'DELETE' THEN
                    RETURN OLD;
                END IF;
                NEW.writer := session_user;
                RETURN NEW;
            END
            $$""",
        'CREATE TRIGGER podim_records_guard BEFORE INSERT OR UPDATE OR DELETE ON {s}.podim_records '
        'FOR EACH ROW EXECUTE FUNCTION {s}.podim_records_guard()',
        'CREATE TRIGGER podim_decisions_guard BEFORE INSERT OR UPDATE OR DELETE ON {s}.podim_decisions '
        'FOR EACH ROW EXECUTE FUNCTION {s}.podim_decisions_guard()',
        # `IN (SELECT f())` becomes a hashed SubPlan: the grants are read once per statement, each row costs
        # a hash probe, and the caller's own conditions still drive the index (`= ANY(array)` made the
        # planner filter the host list instead).
        'ALTER TABLE {s}.podim_records ENABLE ROW LEVEL SECURITY',
        'CREATE POLICY podim_read ON {s}.podim_records FOR SELECT '
        'USING (namespace IN (SELECT {s}.podim_fleet_namespaces(NULL)))',
        'CREATE POLICY podim_insert ON {s}.podim_records FOR INSERT '
        'WITH CHECK ({s}.podim_fleet_write_refusal(namespace, type, host, true) IS NULL)',
        'CREATE POLICY podim_update ON {s}.podim_records FOR UPDATE '
        'USING (namespace IN (SELECT {s}.podim_fleet_namespaces(NULL))) '
        'WITH CHECK ({s}.podim_fleet_write_refusal(namespace, type, host, true) IS NULL)',
        'CREATE POLICY podim_delete ON {s}.podim_records FOR DELETE '
        'USING (namespace IN (SELECT {s}.podim_fleet_namespaces(NULL)))',
        'ALTER TABLE {s}.podim_decisions ENABLE ROW LEVEL SECURITY',
        'CREATE POLICY podim_read ON {s}.podim_decisions FOR SELECT '
        'USING (namespace IN (SELECT {s}.podim_fleet_namespaces(NULL)))',
        'CREATE POLICY podim_insert ON {s}.podim_decisions FOR INSERT '
        "WITH CHECK (namespace IN (SELECT {s}.podim_fleet_namespaces('decide')))",
        'CREATE POLICY podim_update ON {s}.podim_decisions FOR UPDATE '
        'USING (namespace IN (SELECT {s}.podim_fleet_namespaces(NULL))) '
        "WITH CHECK (namespace IN (SELECT {s}.podim_fleet_namespaces('decide')))",
        'CREATE POLICY podim_delete ON {s}.podim_decisions FOR DELETE '
        'USING (namespace IN (SELECT {s}.podim_fleet_namespaces(NULL)))',
    ],
    [
        # An UPDATE that keeps the namespace, type and host needs no check of the old row: the policy's
        # WITH CHECK already checks the new row with the stricter question (placement included).  Saves
        # one grant look-up per changed record.
        """CREATE OR REPLACE FUNCTION {s}.podim_records_guard() RETURNS trigger
            LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
            AS $$
            DECLARE
                refusal TEXT;
            BEGIN
                IF TG_OP <> 'INSERT' AND row_security_active(TG_RELID)
                        AND (TG_OP = 'DELETE' OR (NEW.namespace, NEW.type, NEW.host)
                                                  IS DISTINCT FROM (OLD.namespace, OLD.type, OLD.host)) THEN
                    -- removing or replacing needs the type, not the placement: a team may
                    -- clean up the record of a host that left the group
                    refusal := {s}.podim_fleet_write_refusal(OLD.namespace, OLD.type, OLD.host, false);
                    IF refusal IS NOT NULL THEN
                        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = refusal,
                            HINT = 'podim.fleet access control: the store''s admin grants access with '
                                   'podim.fleet.store_grant';
                    END IF;
                END IF;
                IF TG_OP = 'DELETE' THEN
                    RETURN OLD;
                END IF;
                IF TG_OP = 'UPDATE' AND (NEW.namespace, NEW.host, NEW.type, NEW.key, NEW.data, NEW.tags,
                                         NEW.exporter, NEW.updated)
                        IS NOT DISTINCT FROM (OLD.namespace, OLD.host, OLD.type, OLD.key, OLD.data, OLD.tags,
                                              OLD.exporter, OLD.updated) THEN
                    NEW.writer := OLD.writer;  -- only `seen` moved: the record is still the old writer's
                ELSE
                    NEW.writer := session_user;
                END IF;
                RETURN NEW;
            END
            $$""",
    ],
    [
        # The history (base.py MIGRATIONS 3).  Changes of records are recorded by the database itself (a
        # trigger owned by the tables' owner), whoever writes and however: no record changes without its
        # entry.  The client says what a deletion is (podim.kind: deleted or purged, podim.why, podim.actor:
        # settings local to its transaction); a created or changed record's actor is its `exporter`.  The
        # time is the database's: a client cannot date an entry back to have it pruned early.
        """CREATE FUNCTION {s}.podim_records_history() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
            AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    INSERT INTO {s}.podim_history (namespace, at, kind, host, type, key, before, after, why, actor)
                    VALUES (OLD.namespace, extract(epoch FROM clock_timestamp()),
                            coalesce(nullif(current_setting('podim.kind', true), ''), 'deleted'),
                            OLD.host, OLD.type, OLD.key,
                            json_build_object('data', OLD.data::json, 'tags', OLD.tags::json)::text, NULL,
                            coalesce(current_setting('podim.why', true), ''),
                            coalesce(nullif(current_setting('podim.actor', true), ''), '{}'));
                    RETURN NULL;
                END IF;
                IF TG_OP = 'UPDATE' AND (NEW.namespace, NEW.host, NEW.type, NEW.key, NEW.data, NEW.tags)
                        IS NOT DISTINCT FROM (OLD.namespace, OLD.host, OLD.type, OLD.key, OLD.data, OLD.tags) THEN
                    RETURN NULL;  -- only `seen` moved: an unchanged re-export is no change
                END IF;
                INSERT INTO {s}.podim_history (namespace, at, kind, host, type, key, before, after, why, actor)
                VALUES (NEW.namespace, extract(epoch FROM clock_timestamp()),
                        CASE WHEN TG_OP = 'INSERT' THEN 'created' ELSE 'changed' END,
                        NEW.host, NEW.type, NEW.key,
                        CASE WHEN TG_OP = 'UPDATE'
                             THEN json_build_object('data', OLD.data::json, 'tags', OLD.tags::json)::text END,
                        json_build_object('data', NEW.data::json, 'tags', NEW.tags::json)::text, '', NEW.exporter);
                RETURN NULL;
            END
            $$""",
        'CREATE TRIGGER podim_records_history AFTER INSERT OR UPDATE OR DELETE ON {s}.podim_records '
        'FOR EACH ROW EXECUTE FUNCTION {s}.podim_records_history()',
        # Membership changes and approvals are appended by podim.fleet with the decision they belong to: a
        # role reads the history of the namespaces it may read, appends where it may decide, and can neither
        # change nor remove an entry (no policy, no privilege); `writer` is its role, whatever it sends.
        'ALTER TABLE {s}.podim_history ENABLE ROW LEVEL SECURITY',
        'CREATE POLICY podim_read ON {s}.podim_history FOR SELECT '
        'USING (namespace IN (SELECT {s}.podim_fleet_namespaces(NULL)))',
        'CREATE POLICY podim_insert ON {s}.podim_history FOR INSERT '
        "WITH CHECK (namespace IN (SELECT {s}.podim_fleet_namespaces('decide')))",
        """CREATE FUNCTION {s}.podim_history_stamp() RETURNS trigger
            LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
            AS $$
            BEGIN
                NEW.writer := session_user;
                RETURN NEW;
            END
            $$""",
        'CREATE TRIGGER podim_history_stamp BEFORE INSERT ON {s}.podim_history '
        'FOR EACH ROW EXECUTE FUNCTION {s}.podim_history_stamp()',
        # roles granted before the history existed: what their grants need on it now
        """DO $$
            DECLARE
                r RECORD;
            BEGIN
                FOR r IN SELECT role, bool_or(privilege = 'decide') AS writes
                         FROM {s}.podim_grants GROUP BY role LOOP
                    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r.role) THEN
                        EXECUTE format('GRANT SELECT%s ON {s}.podim_history TO %I',
                                       CASE WHEN r.writes THEN ', INSERT' ELSE '' END, r.role);
                    END IF;
                END LOOP;
            END
            $$""",
    ],
]
PG_SCHEMA_VERSION = len(PG_MIGRATIONS)

PRIVILEGES = ('read', 'write', 'decide')
ALL_TYPES = '*'
# the store's tables a granted role uses, and what each privilege needs on them
TABLES = ('podim_schema', 'podim_pg_schema', 'podim_records', 'podim_decisions', 'podim_history')
ROLE_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_.-]{0,62}$')
GROUP_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]{0,199}$')
RESERVED_ROLES = frozenset({'public', 'none', 'current_user', 'current_role', 'session_user'})
HINT_PREFIX = 'podim.fleet access control'


class AccessDenied(StoreError):
    """The database refused: the role lacks a grant (the message says which).

    reason: the database's own words; explained: they already name the role, namespace, type and host.
    """

    def __init__(self, message: str, reason: str = '', explained: bool = False) -> None:
        super().__init__(message)
        self.reason = reason or message
        self.explained = explained


def migrate(cur: t.Any) -> None:
    """Bring the PostgreSQL-only schema to PG_SCHEMA_VERSION, inside the caller's locked transaction."""
    cur.execute("SELECT quote_ident(n.nspname) FROM pg_catalog.pg_class c "
                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = 'podim_records'::regclass")
    schema = cur.fetchone()[0]
    cur.execute(f'CREATE TABLE IF NOT EXISTS {schema}.podim_pg_schema (version INTEGER NOT NULL)')
    cur.execute(f'SELECT version FROM {schema}.podim_pg_schema')
    row = cur.fetchone()
    if row is None:
        cur.execute(f'INSERT INTO {schema}.podim_pg_schema (version) VALUES (0)')
    current = 0 if row is None else row[0]
    if current > PG_SCHEMA_VERSION:
        raise StoreError(f'the access-control schema of this store has version {current}, newer than this '
                         f'podim.fleet ({PG_SCHEMA_VERSION}): upgrade the collection')
    for version in range(current + 1, PG_SCHEMA_VERSION + 1):
        for statement in PG_MIGRATIONS[version - 1]:
            cur.execute(statement.replace('{s}', schema))
        cur.execute(f'UPDATE {schema}.podim_pg_schema SET version = %s', (version,))


# -- administration (podim.fleet.store_grant) ------------------------------

class Grant(t.NamedTuple):
    namespace: str
    privilege: str
    type: str = ALL_TYPES
    placement_group: str | None = None

    def text(self) -> str:
        line = f'namespace={self.namespace} privilege={self.privilege}'
        if self.privilege == 'write':
            line += f' type={"all" if self.type == ALL_TYPES else self.type}'
        if self.placement_group:
            line += f' placement_group={self.placement_group}'
        return line

    def public(self) -> dict:
        return {'namespace': self.namespace, 'privilege': self.privilege,
                'types': 'all' if self.type == ALL_TYPES else self.type, 'placement_group': self.placement_group}


def check_role(value: t.Any) -> str:
    if (not isinstance(value, str) or not ROLE_RE.fullmatch(value) or value.lower() in RESERVED_ROLES
            or value.lower().startswith('pg_')):
        raise StoreError(f'role {value!r} is invalid: 1-63 letters, digits and _ . - starting with a letter or _, '
                         'not a reserved name (public, pg_*, current_user ...)')
    return value


def check_group(value: t.Any) -> str:
    if not isinstance(value, str) or not GROUP_RE.fullmatch(value):
        raise StoreError(f'placement_group {value!r} is not a valid Ansible group name')
    return value


def wanted_table_privileges(grants: t.Iterable[Grant]) -> dict[str, list[str]]:
    """Exactly what a role with these grants needs on each table: RLS decides which rows."""
    grants = list(grants)
    if not grants:
        return {}
    need = {table: {'SELECT'} for table in TABLES}
    if any(g.privilege == 'write' for g in grants):
        need['podim_records'] |= {'INSERT', 'UPDATE', 'DELETE'}
    if any(g.privilege == 'decide' for g in grants):
        need['podim_decisions'] |= {'INSERT', 'UPDATE', 'DELETE'}
    if any(g.privilege == 'decide' for g in grants):
        need['podim_history'].add('INSERT')  # membership entries; records' entries are the database's own
    return {table: sorted(privs) for table, privs in need.items()}


class Plan(t.NamedTuple):
    role: str
    role_exists: bool
    create_role: bool
    schema_current: bool
    before: list[Grant]
    after: list[Grant]
    add: list[Grant]  # new or changed rows (upserted)
    remove: list[Grant]
    privileges_before: dict[str, list[str]]
    privileges_after: dict[str, list[str]]
    warnings: list[str]

    @property
    def changed(self) -> bool:
        return (self.create_role or not self.schema_current or bool(self.add) or bool(self.remove)
                or self.privileges_before != self.privileges_after)

    def diff_text(self, after: bool) -> str:
        grants = self.after if after else self.before
        exists = self.role_exists or (after and self.create_role)
        lines = [f'role: {self.role} ({"exists" if exists else "does not exist"})']
        lines += [f'grant: {g.text()}' for g in sorted(grants)]
        privileges = self.privileges_after if after else self.privileges_before
        lines += [f'table {table}: {", ".join(privs)}' for table, privs in sorted(privileges.items()) if privs]
        return '\n'.join(lines) + '\n'


class GrantAdmin:
    """Reads and changes the grants of one store; connected as its owner (the admin)."""

    def __init__(self, store: t.Any) -> None:
        self.store = store

    def role_info(self, cur: t.Any, role: str) -> dict | None:
        cur.execute('SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_catalog.pg_roles WHERE rolname = %s',
                    (role,))
        row = cur.fetchone()
        return None if row is None else {'superuser': row[0], 'bypassrls': row[1], 'login': row[2]}

    def grants(self, cur: t.Any, role: str) -> list[Grant]:
        cur.execute("SELECT to_regclass('podim_grants') IS NOT NULL")
        if not cur.fetchone()[0]:
            return []
        cur.execute('SELECT namespace, privilege, type, placement_group FROM podim_grants WHERE role = %s '
                    'ORDER BY namespace, privilege, type', (role,))
        return [Grant(*row) for row in cur.fetchall()]

    def table_privileges(self, cur: t.Any, role: str) -> dict[str, list[str]]:
        """The privileges granted to the role itself (not through PUBLIC or membership) on each table."""
        cur.execute('SELECT c.relname, a.privilege_type FROM pg_catalog.pg_class c '
                    'CROSS JOIN LATERAL aclexplode(c.relacl) a JOIN pg_catalog.pg_roles r ON r.oid = a.grantee '
                    'WHERE c.oid = ANY (ARRAY[' + ', '.join(['to_regclass(%s)'] * len(TABLES)) + ']) '
                    'AND r.rolname = %s', (*TABLES, role))
        out: dict[str, set[str]] = {}
        for table, privilege in cur.fetchall():
            out.setdefault(table, set()).add(privilege)
        return {table: sorted(privs) for table, privs in out.items()}

    def run(self, role: str, namespaces: t.Sequence[str], privileges: t.Sequence[str] | None,
            types: t.Sequence[str] | None, placement_group: str | None, state: str, create_role: bool,
            password: str | None = None, check_mode: bool = False) -> Plan:
        """Plan and (unless check_mode) apply, in one transaction serialized with other admins."""
        with self.store._transaction(lock='podim_grants') as cur:
            plan = self.plan(cur, role, namespaces, privileges, types, placement_group, state, create_role)
            if plan.changed and not check_mode:
                self.execute(cur, plan, password)
        return plan

    def plan(self, cur: t.Any, role: str, namespaces: t.Sequence[str], privileges: t.Sequence[str] | None,
             types: t.Sequence[str] | None, placement_group: str | None, state: str, create_role: bool) -> Plan:
        """What would change; reads only."""
        from ansible_collections.podim.fleet.plugins.plugin_utils.store.base import check_name, check_namespace
        check_role(role)
        namespaces = sorted({check_namespace(ns) for ns in namespaces})
        if not namespaces:
            raise StoreError('name at least one namespace')
        all_types = types is None
        type_set = {ALL_TYPES} if all_types else {check_name('type', typ) for typ in types}
        if not type_set:
            raise StoreError('types is empty: name record types, or leave it out for every type')
        if placement_group is not None:
            check_group(placement_group)
        if state == 'present':
            if not privileges:
                raise StoreError('privileges is required with state=present (read, write, decide)')
            if placement_group is not None and 'write' not in privileges:
                raise StoreError('placement_group limits write (export) grants: add write to privileges')
        warnings: list[str] = []
        info = self.role_info(cur, role)
        before = self.grants(cur, role)
        privileges_before = self.table_privileges(cur, role)
        cur.execute('SELECT r.rolname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_roles r '
                    "ON r.oid = c.relowner WHERE c.oid = to_regclass('podim_records')")
        owner = cur.fetchone()
        if info is None and state == 'present' and not create_role:
            raise StoreError(f'role {role!r} does not exist: create it first, or set create_role: true')
        if info is not None and (info['superuser'] or info['bypassrls'] or (owner and owner[0] == role)):
            what = 'owns the store tables' if owner and owner[0] == role else 'is a superuser or has BYPASSRLS'
            warnings.append(f'role {role} {what}: row-level security does not bind it, grants change nothing '
                            'for it')
        elif info is not None and not info['login']:
            # grants follow the role a controller logs in as (session_user), not roles it is a member of
            warnings.append(f'role {role} cannot log in: grants apply to the role a controller connects as, '
                            'not to roles it is a member of')
        current = {(g.namespace, g.privilege, g.type): g for g in before}
        add: list[Grant] = []
        remove: list[Grant] = []
        if state == 'present':
            for ns in namespaces:
                for privilege in sorted(set(privileges)):
                    if privilege == 'write':
                        wanted = [Grant(ns, 'write', typ, placement_group) for typ in sorted(type_set)]
                    else:
                        wanted = [Grant(ns, privilege)]
                    for grant in wanted:
                        if current.get(grant[:3]) != grant:
                            add.append(grant)
        else:
            privilege_set = set(privileges or PRIVILEGES)
            for grant in before:
                if (grant.namespace in namespaces and grant.privilege in privilege_set
                        and (all_types or grant.privilege != 'write' or grant.type in type_set)):
                    remove.append(grant)
        after_map = dict(current)
        for grant in remove:
            after_map.pop(grant[:3], None)
        for grant in add:
            after_map[grant[:3]] = grant
        after = sorted(after_map.values())
        schema_current = bool(getattr(self.store, 'schema_current', True))
        return Plan(role, info is not None, info is None and create_role and state == 'present', schema_current,
                    before, after, add, remove, privileges_before, wanted_table_privileges(after), warnings)

    def execute(self, cur: t.Any, plan: Plan, password: str | None = None) -> None:
        """Apply the plan inside the caller's transaction."""
        from psycopg import sql
        role = sql.Identifier(plan.role)
        if plan.create_role:
            cur.execute(sql.SQL('CREATE ROLE {} LOGIN').format(role))
            if password:
                # the server gets a SCRAM verifier made here, never the password itself (logs)
                verifier = self.store._conn.pgconn.encrypt_password(
                    password.encode('utf-8'), plan.role.encode('utf-8'), b'scram-sha-256')
                cur.execute(sql.SQL('ALTER ROLE {} PASSWORD {}').format(role, sql.Literal(verifier.decode())))
        for grant in plan.remove:
            cur.execute('DELETE FROM podim_grants WHERE role = %s AND namespace = %s AND privilege = %s '
                        'AND type = %s', (plan.role, grant.namespace, grant.privilege, grant.type))
        for grant in plan.add:
            cur.execute("INSERT INTO podim_grants (role, namespace, privilege, type, placement_group) "
                        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (role, namespace, privilege, type) DO UPDATE "
                        "SET placement_group = excluded.placement_group, granted_by = DEFAULT, "
                        "updated = DEFAULT", (plan.role, *grant))
        for table in TABLES:
            wanted = set(plan.privileges_after.get(table, ()))
            held = set(plan.privileges_before.get(table, ()))
            if wanted - held:
                cur.execute(sql.SQL('GRANT {} ON TABLE {} TO {}').format(
                    sql.SQL(', ').join(sql.SQL(p) for p in sorted(wanted - held)), sql.Identifier(table), role))
            if held - wanted:
                cur.execute(sql.SQL('REVOKE {} ON TABLE {} FROM {}').format(
                    sql.SQL(', ').join(sql.SQL(p) for p in sorted(held - wanted)), sql.Identifier(table), role))
        if plan.privileges_after:
            # the tables may live outside public: the role must be able to reach them
            cur.execute("SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                        "ON n.oid = c.relnamespace WHERE c.oid = 'podim_records'::regclass")
            schema = cur.fetchone()[0]
            if schema != 'public':
                cur.execute(sql.SQL('GRANT USAGE ON SCHEMA {} TO {}').format(sql.Identifier(schema), role))
