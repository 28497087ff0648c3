#!/bin/sh
# Creates and migrates Temporal's two PostgreSQL databases; safe to run again (an existing
# database is kept, the schema only moves forward). docker-compose's temporal-schema service
# runs it, and so does the production suite (test/production/) before it starts the server.
#   SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD   the PostgreSQL server (read by the tool)
#   TEMPORAL_SCHEMA_DIR   the server's schema/postgresql/v12 directory (of the same version)
#   TEMPORAL_SQL_TOOL     the temporal-sql-tool binary (default: on PATH)
set -eu
tool=${TEMPORAL_SQL_TOOL:-temporal-sql-tool}
: "${TEMPORAL_SCHEMA_DIR:?set TEMPORAL_SCHEMA_DIR to the server version's schema/postgresql/v12}"
export SQL_PLUGIN=postgres12
for db in temporal temporal_visibility; do
  case $db in temporal) dir=temporal ;; *) dir=visibility ;; esac
  # "already exists" is the only failure to pass over; setup-schema -v 0.0 is a no-op on a
  # database that has the schema table already.
  out=$("$tool" --db "$db" create-database 2>&1) || echo "$out" | grep -q "already exists" || { echo "$out" >&2; exit 1; }
  "$tool" --db "$db" setup-schema -v 0.0
  "$tool" --db "$db" update-schema -d "$TEMPORAL_SCHEMA_DIR/$dir/versioned"
done
