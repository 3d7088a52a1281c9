#!/usr/bin/env bash
# Validates every file in monitoring/: exits non-zero if any check fails.
#   1. promtool check rules alert-rules.yml
#   2. promtool test rules tests/*.yml, and every alert has a firing and a silent case there
#   3. promtool check config prometheus.yml
#   4. amtool check-config alertmanager.yml (a copy whose secret files exist)
#   5. amtool config routes test: every alert in alert-rules.yml reaches exactly the receivers
#      tests/routes.txt names for it
#   6. every Grafana panel expression parses (as recording rules through promtool)
#   7. every metric named by a rule or a panel is in known-metrics.txt
#   8. fleet/: promtool check config prometheus.yml (its file_sd target files too), amtool
#      check-config alertmanager.yml, the remediable alerts reach every medic and a human, and
#      the medic receiver lists exactly the hosts of targets/medic.yml
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
# Alertmanager reads its secrets from files; check a copy whose two secret paths (each written
# once in alertmanager.yml) point at temporary files that exist.
alertmanager_config() {  # alertmanager_config [FILE]: default alertmanager.yml
  local source="${1:-$dir/alertmanager.yml}" config="$work/alertmanager-checked.yml" path
  cp "$source" "$config"
  printf 'check-token\n' >"$work/medic-webhook-token"
  printf 'http://127.0.0.1:1/slack\n' >"$work/slack-webhook-url"
  for path in /run/secrets/medic-webhook-token /run/secrets/slack-webhook-url; do
    [ "$(grep -cF "$path" "$config")" -eq 1 ] || { echo "$source: $path must appear exactly once"; return 1; }
    sed -i "s|$path|$work/${path##*/}|" "$config"
  done
  amtool check-config "$config"
}
step "amtool check-config alertmanager.yml" alertmanager_config

# Each rule's alertname and static labels, one rule a line: "NAME label=value ...".
rule_label_sets() {
  awk '
    function flush() { if (name != "") print name labels }
    /^ *- alert:/ { flush(); name = $3; labels = ""; in_labels = 0; next }
    /^ *- record:/ { flush(); name = ""; next }
    /^ *labels:/ { in_labels = 1; next }
    /^ *(annotations|expr|for):/ { in_labels = 0; next }
    in_labels && /^ *[a-zA-Z_][a-zA-Z0-9_]*: / {
      key = $1; sub(/:$/, "", key)
      value = $0; sub(/^ *[a-zA-Z_][a-zA-Z0-9_]*: */, "", value); gsub(/^"|"$/, "", value)
      labels = labels " " key "=" value
    }
    END { flush() }
  ' "$dir/alert-rules.yml"
}

# amtool config routes test for every rule (and the extra "+" cases) of tests/routes.txt.
routes() {
  local status=0 table="$dir/tests/routes.txt" name want extra labels got
  [ -f "$table" ] || { echo "missing $table"; return 1; }
  rule_label_sets >"$work/rule-labels.txt"
  grep -vE '^[[:space:]]*(#|$)' "$table" >"$work/routes.txt"
  verify() {  # verify WANT LABELS...: one routes test
    local want="$1"
    shift
    got="$(amtool config routes test --config.file="$dir/alertmanager.yml" "$@" </dev/null 2>/dev/null | head -1)"
    if [ "$got" != "$want" ]; then
      echo "$*: expected receivers $want, got ${got:-nothing}"
      status=1
    fi
  }
  # Every line names an alert of the rules (or is an extra case), once.
  while read -r name want extra; do
    case "$name" in
      +*) ;;
      *) grep -q "^$name\( \|$\)" "$work/rule-labels.txt" || { echo "tests/routes.txt: $name is no alert in alert-rules.yml"; status=1; } ;;
    esac
  done <"$work/routes.txt"
  for name in $(awk '$1 !~ /^\+/ { print $1 }' "$work/routes.txt" | sort | uniq -d); do
    echo "tests/routes.txt: $name has more than one line"
    status=1
  done
  # Every rule: its alertname, its static labels and the line's extra labels.
  while read -r name labels; do
    want=""
    read -r _ want extra < <(awk -v name="$name" '$1 == name' "$work/routes.txt" | head -1)
    if [ -z "${want:-}" ]; then
      echo "$name: no routes test case in tests/routes.txt"
      status=1
      continue
    fi
    # shellcheck disable=SC2086  # labels are single words by construction
    verify "$want" "alertname=$name" $labels $extra
  done <"$work/rule-labels.txt"
  # The extra cases, as written.
  while read -r name want extra; do
    # shellcheck disable=SC2086
    verify "$want" "alertname=${name#+}" $extra
  done < <(grep '^+' "$work/routes.txt")
  return $status
}
step "amtool config routes test: every alert reaches its receivers" routes

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

# Metric names: every identifier that looks like one of the exported families must be known
# (label values in matchers, such as module="http_2xx", are not names).
metric_names() {
  local status=0 name
  {
    grep -v '^ *#' "$dir/alert-rules.yml"
    cat "$work/exprs.txt" 2>/dev/null
  } | sed -E 's/(=|=~|!=|!~)\\?"[^"\\]*\\?"/\1""/g' |
    grep -oE '\b(medic|container|machine|process|http|node|probe|redis)_[a-zA-Z0-9_]+' |
    sort -u >"$work/used.txt"
  for name in $(cat "$work/used.txt"); do
    grep -qx "$name" "$dir/known-metrics.txt" || { echo "unknown metric: $name"; status=1; }
  done
  return $status
}
step "rules and panels use only known metric names" metric_names

# The fleet set-up (monitoring/fleet/): many hosts, HA Prometheus and Alertmanager.
fleet_prometheus() {
  promtool check config "$dir/fleet/prometheus.yml" || return 1
  # promtool does not read file_sd files: each must be a list of groups whose instance label
  # names a host.
  local file
  for file in "$dir"/fleet/targets/*.yml; do
    promtool check config <(printf 'scrape_configs:\n  - job_name: x\n    file_sd_configs: [{files: [%s]}]\n' "$file") >/dev/null || return 1
    [ "$(grep -c 'targets:' "$file")" -eq "$(grep -c 'instance:' "$file")" ] || { echo "$file: every target group needs labels: {instance: HOST}"; return 1; }
  done
}
step "promtool check config fleet/prometheus.yml" fleet_prometheus
step "amtool check-config fleet/alertmanager.yml" alertmanager_config "$dir/fleet/alertmanager.yml"
fleet_routes() {
  local status=0 name got
  for name in ServiceDown HighErrorRate HighMemoryUsage; do
    got="$(amtool config routes test --config.file="$dir/fleet/alertmanager.yml" "alertname=$name" instance=host-2 </dev/null 2>/dev/null | head -1)"
    [ "$got" = "medic,human" ] || { echo "$name: expected receivers medic,human, got ${got:-nothing}"; status=1; }
  done
  got="$(amtool config routes test --config.file="$dir/fleet/alertmanager.yml" alertname=CertificateExpiringSoon instance=host-2 </dev/null 2>/dev/null | head -1)"
  [ "$got" = "human" ] || { echo "CertificateExpiringSoon: expected receivers human, got ${got:-nothing}"; status=1; }
  # One medic URL per host that Prometheus scrapes a medic on, and no other.
  local hosts urls
  hosts="$(sed -n 's/.*instance: *\([A-Za-z0-9_.-]*\).*/\1/p' "$dir/fleet/targets/medic.yml" | sort)"
  urls="$(sed -n 's|.*- url: *https\{0,1\}://\([A-Za-z0-9_.-]*\):[0-9]*/webhook.*|\1|p' "$dir/fleet/alertmanager.yml" | sort)"
  [ -n "$hosts" ] && [ "$hosts" = "$urls" ] || { echo "the medic receiver's URLs name hosts [$(echo $urls)], targets/medic.yml [$(echo $hosts)]"; status=1; }
  return $status
}
step "fleet: remediable alerts reach every medic and a human" fleet_routes

if [ "$failures" -ne 0 ]; then
  echo "check.sh: $failures check(s) failed" >&2
  exit 1
fi
echo "check.sh: all monitoring checks passed"
