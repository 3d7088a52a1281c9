#!/usr/bin/env bash
# Prints every PromQL expression of the Grafana dashboards (panel targets and annotation queries),
# one per line, with Grafana's variables replaced by plain PromQL so that promtool or
# Prometheus' /api/v1/query can parse and run them:
#   $__rate_interval → 1m, $__interval → 1m, $__range → 1h, $instance / ${instance} → .*
# Used by monitoring/check.sh (parse check) and by the end-to-end test (evaluated on a live
# Prometheus). Usage: exprs.sh [dashboard.json ...] (default: every dashboard next to this script).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "$#" -eq 0 ]; then
  set -- "$here"/dashboards/*.json
fi
for dashboard in "$@"; do
  jq -r '.. | objects | select(has("expr")) | .expr | gsub("\n"; " ")' "$dashboard"
done | sed -e 's/\$__rate_interval/1m/g' -e 's/\$__interval/1m/g' -e 's/\$__range/1h/g' \
           -e 's/\${instance}/.*/g' -e 's/\$instance/.*/g'
