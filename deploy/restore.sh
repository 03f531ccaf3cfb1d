#!/usr/bin/env bash
# Restore a Paddock backup (pg_dump --format=custom) into an EMPTY database, then check it.
#
#   deploy/restore.sh BACKUP_FILE TARGET_DATABASE_URL
#
# The target must exist and hold no tables (createdb it first): restoring over live data is
# refused. Everything is restored in one transaction, so a failed restore leaves the target
# empty. PG_BIN may name the folder of the PostgreSQL client programs to use: take those of
# the servers' major version (a newer pg_restore may send settings an older server rejects,
# and pg_dump must be at least as new as the server it dumps). Redis needs no restore: leaderboards
# and caches are rebuilt from PostgreSQL (the nightly rebuild task, or the first read).
set -euo pipefail

die() { printf 'restore: %s\n' "$*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 BACKUP_FILE TARGET_DATABASE_URL"
backup=$1
[ -r "$backup" ] || die "cannot read backup file $backup"
# libpq takes postgres:// URLs but not the pool sizes Tortoise reads from the query string.
url=$(printf '%s' "$2" | sed -E 's/([?&])(minsize|maxsize)=[^&]*&?/\1/g; s/[?&]$//')

bin=${PG_BIN:+${PG_BIN%/}/}
psql=("${bin}psql" --no-psqlrc --quiet --tuples-only --no-align --set ON_ERROR_STOP=1)

tables=$("${psql[@]}" --dbname="$url" --command \
  "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')") \
  || die "cannot connect to the target database"
[ "$tables" = 0 ] || die "the target database already has $tables tables: restore into a new, empty database"

"${bin}pg_restore" --list "$backup" >/dev/null || die "$backup is not a pg_dump custom-format file"
"${bin}pg_restore" --dbname="$url" --no-owner --no-privileges --single-transaction \
  --exit-on-error "$backup" || die "pg_restore failed; the target database was left empty"

applied=$("${psql[@]}" --dbname="$url" --command "SELECT count(*) FROM tortoise_migrations") \
  || die "restored, but there is no tortoise_migrations table: is this a Paddock backup?"
"${psql[@]}" --dbname="$url" --command "ANALYZE" >/dev/null
counts=$("${psql[@]}" --dbname="$url" --command "SELECT concat_ws(', ',
  (SELECT count(*) FROM seasons) || ' seasons', (SELECT count(*) FROM drivers) || ' drivers',
  (SELECT count(*) FROM races) || ' races', (SELECT count(*) FROM users) || ' users',
  (SELECT count(*) FROM teams) || ' teams', (SELECT count(*) FROM leagues) || ' leagues')")
echo "restored $backup: $applied migrations; $counts"
