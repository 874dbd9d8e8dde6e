"""Make a plain Postgres database look like a Supabase project's, role-wise.

A Supabase project has the roles `anon`, `authenticated`, `service_role` (BYPASSRLS) and
`authenticator` (the login PostgREST uses, which switches to the key's role), and its
`public` schema grants ALL on every new table, sequence and function to the first three
by default. Our migrations must be safe under exactly those defaults.
"""

from __future__ import annotations

import psycopg

from tests.support.roles import conninfo, ensure_role, role_changes

SUPABASE_ROLES = {
    "anon": "NOLOGIN NOINHERIT",
    "authenticated": "NOLOGIN NOINHERIT",
    "service_role": "NOLOGIN NOINHERIT BYPASSRLS",
    "authenticator": "LOGIN NOINHERIT",
}
API_ROLES = ("anon", "authenticated", "service_role")


def ensure_cluster_roles(admin_url: str) -> None:
    """The Supabase roles, created when absent and made what Supabase has when present (a
    `service_role` left without BYPASSRLS by another suite would break the REST tests)."""
    with role_changes(admin_url) as conn:
        for role, options in SUPABASE_ROLES.items():
            ensure_role(conn, role, options)
        ensure_role(conn, "authenticator", SUPABASE_ROLES["authenticator"], API_ROLES)


def apply_supabase_defaults(database_url: str) -> None:
    """Give a fresh database the privileges a Supabase project's `public` schema has."""
    with psycopg.connect(conninfo(database_url), autocommit=True) as conn:
        roles = ", ".join(API_ROLES)
        conn.execute(f"GRANT USAGE ON SCHEMA public TO {roles}")
        for kind in ("TABLES", "SEQUENCES", "FUNCTIONS"):
            conn.execute(
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON {kind} TO {roles}"
            )
