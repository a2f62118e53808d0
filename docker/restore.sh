#!/bin/sh
# Restore a dump made by docker/backup.sh into an EMPTY database.
#
#   docker/restore.sh DUMP_FILE TARGET_DATABASE_URL
#
# Create the target first (createdb, or CREATE DATABASE), restore, check it, then point the
# portal at it (docs/operations.md, "Backups"). The script refuses a target that already has tables, so it
# can never write over a live database. One transaction: on any error nothing is restored.
# tests/core/test_backup_restore.py runs docker/backup.sh and this script against PostgreSQL.
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 DUMP_FILE TARGET_DATABASE_URL" >&2
    exit 2
fi
dump=$1
target=$2

tables=$(psql --no-psqlrc --tuples-only --no-align --dbname="$target" \
    --command="SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if [ "$tables" != "0" ]; then
    echo "$0: the target database already has $tables tables; restore only into an empty database." >&2
    exit 1
fi

pg_restore --exit-on-error --single-transaction --no-owner --no-privileges --dbname="$target" "$dump"
echo "restored $dump"
