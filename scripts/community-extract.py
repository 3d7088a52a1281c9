#!/usr/bin/env python3
"""Prints a tests/fixtures/community/ fixture for one public artefact: every PromQL expression of
a Grafana dashboard (JSON, rows or panels, nested rows included) or of a Prometheus rule file
(YAML, alerting rules; needs python3-yaml), with the source it came from.

  scripts/community-extract.py node-exporter-full.json --family filesystem \\
      --repository rfmoz/grafana-dashboards --path prometheus/node-exporter-full.json \\
      --commit 0123… --name "Node Exporter Full" > tests/fixtures/community/filesystem-….json

Then keep only the artefact's own family (a filesystem fixture drops the CPU panels) and mark
what no peer in the test can produce with "skip": "<reason>", or what the peer legitimately
leaves empty with "peer_empty": "<reason>" (see tests/integration/community_dashboards_test.py).
"""

import argparse
import json
import sys


def dashboard_entries(dashboard):
    panels = list(dashboard.get("panels", []))
    for row in dashboard.get("rows", []):
        panels.extend(row.get("panels", []))
    entries = []
    while panels:
        panel = panels.pop(0)
        panels[0:0] = panel.get("panels", [])  # a collapsed row keeps its panels inside
        targets = [t for t in panel.get("targets", []) if t.get("expr", "").strip()]
        for number, target in enumerate(targets, 1):
            title = panel.get("title", "")
            if len(targets) > 1:
                title += " (" + (target.get("legendFormat") or target.get("refId") or
                                 str(number)) + ")"
            entries.append({"title": title, "expr": target["expr"]})
    return entries


def rule_entries(text):
    try:
        import yaml
    except ImportError:
        sys.exit("community-extract: rule files need python3-yaml (apt-get install python3-yaml)")
    doc = yaml.safe_load(text)
    groups = doc.get("spec", doc).get("groups", [])  # a PrometheusRule keeps them under spec
    return [{"title": rule["alert"], "expr": rule["expr"]}
            for group in groups for rule in group.get("rules", []) if "alert" in rule]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="the artefact as fetched (dashboard .json or rules .yml)")
    parser.add_argument("--family", required=True,
                        choices=["filesystem", "blackbox", "redis", "containers"])
    parser.add_argument("--repository", required=True, help="owner/name on GitHub")
    parser.add_argument("--path", required=True, help="the file's path in the repository")
    parser.add_argument("--commit", required=True, help="the commit the file was taken at")
    parser.add_argument("--name", required=True, help="what the artefact is called")
    args = parser.parse_args()
    with open(args.file) as f:
        text = f.read()
    if args.file.endswith(".json"):
        artefact, entries = "dashboard", dashboard_entries(json.loads(text))
    else:
        artefact, entries = "alerts", rule_entries(text)
    json.dump({"artefact": artefact, "family": args.family, "name": args.name,
               "source": {"repository": args.repository, "path": args.path,
                          "commit": args.commit},
               "entries": entries}, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
