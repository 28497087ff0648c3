#!/bin/sh
# Waits for the Temporal frontend, then creates the namespace and the search attributes
# Backstop files its runs under; safe to run again. docker-compose's temporal-setup service
# runs it, and so does the production suite (test/production/).
#   TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE (default), TEMPORAL_TLS_SERVER_CA_CERT_PATH,
#   TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH   read by the temporal CLI
#   TEMPORAL_CLI   the temporal CLI binary (default: on PATH)
#   TEMPORAL_SETUP_TIMEOUT   seconds to wait for the frontend (default 120)
set -eu
cli=${TEMPORAL_CLI:-temporal}
ns=${TEMPORAL_NAMESPACE:-default}
attributes="BackstopJobId BackstopAgent BackstopKind BackstopRepository BackstopOutcome"
waited=0
until "$cli" operator cluster health >/dev/null 2>&1; do
  waited=$((waited + 1))
  [ "$waited" -le "${TEMPORAL_SETUP_TIMEOUT:-120}" ] || { echo "Temporal at ${TEMPORAL_ADDRESS:-localhost:7233} did not answer" >&2; exit 1; }
  sleep 1
done
"$cli" operator namespace describe --namespace "$ns" >/dev/null 2>&1 \
  || "$cli" operator namespace create --namespace "$ns" --retention 30d
# A new namespace reaches every service only after their namespace caches refresh (seconds):
# until then attribute calls answer "not found". Retry until every attribute is listed.
tries=0
while :; do
  for sa in $attributes; do
    "$cli" operator search-attribute create --namespace "$ns" --name "$sa" --type Keyword >/dev/null 2>&1 || true
  done
  list=$("$cli" operator search-attribute list --namespace "$ns" 2>/dev/null || true)
  missing=
  for sa in $attributes; do echo "$list" | grep -q "$sa" || missing="$missing $sa"; done
  [ -z "$missing" ] && break
  tries=$((tries + 1))
  [ "$tries" -le "${TEMPORAL_SETUP_TIMEOUT:-120}" ] || { echo "search attributes missing:$missing" >&2; exit 1; }
  sleep 1
done
echo "namespace $ns ready with $attributes"
