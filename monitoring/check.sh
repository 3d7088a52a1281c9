#!/usr/bin/env bash
# Validates every file in monitoring/: exits non-zero if any check fails.
#   1. promtool check rules alert-rules.yml
#   2. promtool test rules tests/*.yml, and every alert has a firing and a silent case there
#   3. promtool check config prometheus.yml
#   4. amtool check-config alertmanager.yml
#   5. every Grafana panel expression parses (as recording rules through promtool)
#   6. every metric named by a rule or a panel is in known-metrics.txt
# Usage: monitoring/check.sh [MONITORING_DIR] (default: the directory of this script).
# Needs promtool (prometheus), amtool (prometheus-alertmanager) and jq.
set -uo pipefail
dir="$(cd "${1:-$(dirname "$0")}" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0

step() {  # step NAME COMMAND...: runs the command, prints its output only when it fails
  local name="$1"
  shift
  if "$@" >"$work/out" 2>&1; then
    echo "ok   $name"
  else
    echo "FAIL $name"
    sed 's/^/     /' "$work/out"
    failures=$((failures + 1))
  fi
}

for tool in promtool amtool jq; do
  command -v "$tool" >/dev/null || { echo "check.sh: $tool not found (scripts/install-deps.sh test)" >&2; exit 2; }
done

step "promtool check rules alert-rules.yml" promtool check rules "$dir/alert-rules.yml"
step "promtool test rules tests/*.yml" bash -c 'cd "$1/tests" && promtool test rules *.yml' _ "$dir"

# Each alert named in the rules needs a test where it fires (exp_alerts with entries) and one
# where it stays silent (exp_alerts: []).
coverage() {
  local status=0 name
  for name in $(sed -n 's/^ *- alert: *\([A-Za-z0-9_]*\).*/\1/p' "$dir/alert-rules.yml" | sort -u); do
    local cases
    cases="$(awk -v name="$name" '
      $1 == "alertname:" && $2 == name { pending = 1; next }
      pending && $1 == "exp_alerts:" { print ($2 == "[]" ? "silent" : "fires"); pending = 0 }
    ' "$dir"/tests/*.yml | sort -u | tr '\n' ' ')"
    case "$cases" in *fires*) ;; *) echo "$name: no test case where it fires"; status=1 ;; esac
    case "$cases" in *silent*) ;; *) echo "$name: no test case where it stays silent"; status=1 ;; esac
  done
  return $status
}
step "every alert has a firing and a silent test case" coverage

step "promtool check config prometheus.yml" promtool check config "$dir/prometheus.yml"
step "amtool check-config alertmanager.yml" amtool check-config "$dir/alertmanager.yml"

# Grafana: wrap every expression as a recording rule so promtool parses it.
grafana_rules() {
  local dashboards=("$dir"/grafana/dashboards/*.json)
  [ -e "${dashboards[0]}" ] || { echo "no dashboards in $dir/grafana/dashboards"; return 1; }
  for dashboard in "${dashboards[@]}"; do
    jq empty "$dashboard" || { echo "$dashboard: not valid JSON"; return 1; }
  done
  bash "$dir/grafana/exprs.sh" "${dashboards[@]}" >"$work/exprs.txt" || return 1
  [ -s "$work/exprs.txt" ] || { echo "no expressions found"; return 1; }
  {
    echo "groups:"
    echo "  - name: grafana-panels"
    echo "    rules:"
    local n=0 expr
    while IFS= read -r expr; do
      n=$((n + 1))
      printf '      - record: grafana:panel_%d\n        expr: %s\n' "$n" "$(jq -Rn --arg e "$expr" '$e')"
    done <"$work/exprs.txt"
  } >"$work/grafana-rules.yml"
  promtool check rules "$work/grafana-rules.yml"
}
step "every Grafana expression parses" grafana_rules

# Metric names: every identifier that looks like one of the exported families must be known.
metric_names() {
  local status=0 name
  {
    grep -v '^ *#' "$dir/alert-rules.yml"
    cat "$work/exprs.txt" 2>/dev/null
  } | grep -oE '\b(medic|container|process|http)_[a-zA-Z0-9_]+' | sort -u >"$work/used.txt"
  for name in $(cat "$work/used.txt"); do
    grep -qx "$name" "$dir/known-metrics.txt" || { echo "unknown metric: $name"; status=1; }
  done
  return $status
}
step "rules and panels use only known metric names" metric_names

if [ "$failures" -ne 0 ]; then
  echo "check.sh: $failures check(s) failed" >&2
  exit 1
fi
echo "check.sh: all monitoring checks passed"
