#!/bin/sh
# Back up the portal's database: a compressed custom-format dump (pg_dump -Fc).
#
#   DATABASE_URL=postgres://user:pass@host:5432/portal docker/backup.sh [DUMP_FILE]
#
# DUMP_FILE defaults to $BACKUP_DIR/portal-<UTC time>.dump (BACKUP_DIR: the current folder).
# The dump is written under a temporary name and renamed when complete, so a file named
# *.dump is never half a backup. With BACKUP_KEEP_DAYS set, dumps in that folder older than
# that many days are deleted afterwards. Restore with docker/restore.sh.
# tests/core/test_backup_restore.py runs this script and docker/restore.sh against PostgreSQL.
set -eu

: "${DATABASE_URL:?set DATABASE_URL to the database to back up}"
dir=${BACKUP_DIR:-.}
out=${1:-$dir/portal-$(date -u +%Y%m%dT%H%M%SZ).dump}

pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$out.partial" --dbname="$DATABASE_URL"
mv "$out.partial" "$out"
echo "$out"

if [ -n "${BACKUP_KEEP_DAYS:-}" ]; then
    find "$(dirname "$out")" -maxdepth 1 -name 'portal-*.dump' -mtime +"$BACKUP_KEEP_DAYS" -print -delete
fi
