#!/usr/bin/env python3
"""A fleet's broadcast (issue 21): 20 medics on loopback, each standing for one host, behind one
Alertmanager receiver that lists all 20. 1,000 alerts for the 20 hosts (50 each: ServiceDown
with a `service` label per alert) go into Alertmanager, grouped by (alertname, instance) as
monitoring/fleet/alertmanager.yml does: 20 groups, each sent to all 20 medics, so every medic
gets 1,000 alerts in 20 requests, 950 of them for other hosts.

Prints, per medic: CPU seconds and anonymous memory (RssAnon) growth over the broadcast, and the
time from the first alert into Alertmanager until that medic's own 50 jobs were journaled and
run (dry_run: medic acts without an engine). Then a replay of the 19 foreign groups straight to
one medic, 20 rounds, for the CPU cost of one foreign alert alone (parse, auth, host check,
answer; no journal). Writes JSON to bench/results/.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (Proc, free_port, HTTP helpers)

LOOPBACK = bench.LOOPBACK
TOKEN = "fleet-bench-token"


def medic_config(data_dir, host, token_file):
    return "\n".join([
        f"data_dir: {data_dir}",
        "collectors: {process: true}",
        f"webhook: {{bearer_token_file: {token_file}}}",
        f"fleet: {{host: {host}}}",
        "dry_run: true",
        f"targets: [bot-{host}]",
        "queue_size: 10000",
        "remediations:",
        "  - name: service-down",
        "    match: {alertname: ServiceDown}",
        f"    target: bot-{host}",
        "    silent: true",
        "    cooldown: 0s",
        "    max_per_hour: 1000",
        "    steps: [restart]",
        "",
    ])


def alertmanager_config(ports, token_file):
    urls = "".join(
        f"      - url: http://{LOOPBACK}:{port}/webhook\n"
        f"        send_resolved: true\n"
        f"        max_alerts: 0\n"
        f"        http_config: {{authorization: {{type: Bearer, credentials_file: {token_file}}}}}\n"
        for port in ports)
    return ("route:\n  receiver: medic\n  group_by: [alertname, instance]\n  group_wait: 1s\n"
            "  group_interval: 5m\n  repeat_interval: 4h\n"
            "receivers:\n  - name: medic\n    webhook_configs:\n" + urls)


def anon_bytes(proc):
    return proc.anon_and_pss()[0]


def owner_done(port, expected):
    status, body = bench.http_get(f"http://{LOOPBACK}:{port}/metrics", timeout=5)
    return bench.sample_sum(body, "medic_remediations_total", result="dry_run") >= expected


def group_body(host, services, now):
    alerts = [{
        "status": "firing",
        "labels": {"alertname": "ServiceDown", "instance": f"{host}:8000", "job": "review-bot",
                   "service": f"svc-{k}", "severity": "critical"},
        "annotations": {"summary": "Review bot service is down"},
        "startsAt": now, "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus/graph", "fingerprint": f"{host}-{k:04x}",
    } for k in range(services)]
    return json.dumps({
        "version": "4", "groupKey": f"{{}}:{{alertname=\"ServiceDown\", instance=\"{host}:8000\"}}",
        "truncatedAlerts": 0, "status": "firing", "receiver": "medic",
        "groupLabels": {"alertname": "ServiceDown", "instance": f"{host}:8000"},
        "commonLabels": {"alertname": "ServiceDown"}, "commonAnnotations": {},
        "externalURL": "http://alertmanager", "alerts": alerts}).encode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--medic", required=True)
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--replay-rounds", type=int, default=20)
    args = parser.parse_args()
    per_host = args.alerts // args.hosts
    work = tempfile.mkdtemp(prefix="medic-fleet-bench-")
    token_file = os.path.join(work, "token")
    with open(token_file, "w") as out:
        out.write(TOKEN + "\n")
    try:
        medics = []
        for i in range(1, args.hosts + 1):
            host = f"host-{i}"
            port = bench.free_port()
            config = os.path.join(work, f"{host}.yml")
            with open(config, "w") as out:
                out.write(medic_config(os.path.join(work, host), host, token_file))
            proc = bench.Proc(host, [args.medic, f"--config.file={config}",
                                     f"--web.listen-address={LOOPBACK}:{port}"], work)
            medics.append((host, port, proc))
        for host, port, proc in medics:
            bench.wait_http(f"http://{LOOPBACK}:{port}/-/ready", proc)
        am_port = bench.free_port()
        am_dir = os.path.join(work, "alertmanager")
        os.makedirs(am_dir)
        with open(os.path.join(am_dir, "am.yml"), "w") as out:
            out.write(alertmanager_config([port for _, port, _ in medics], token_file))
        alertmanager = bench.Proc("alertmanager", [
            "/usr/bin/prometheus-alertmanager", f"--config.file={am_dir}/am.yml",
            f"--storage.path={am_dir}", f"--web.listen-address={LOOPBACK}:{am_port}",
            "--cluster.listen-address="], work)
        bench.wait_http(f"http://{LOOPBACK}:{am_port}/-/ready", alertmanager)
        time.sleep(1.0)  # idle baseline settles
        before = {host: (proc.cpu_seconds(), anon_bytes(proc)) for host, _, proc in medics}

        alerts = [{"labels": {"alertname": "ServiceDown", "instance": f"host-{i}:8000",
                              "job": "review-bot", "service": f"svc-{k}",
                              "severity": "critical"}}
                  for i in range(1, args.hosts + 1) for k in range(per_host)]
        start = time.monotonic()
        status, _ = bench.http_post(f"http://{LOOPBACK}:{am_port}/api/v2/alerts",
                                    json.dumps(alerts).encode(),
                                    {"Content-Type": "application/json"})
        assert status == 200, status
        acted = {}
        deadline = start + 120
        while len(acted) < len(medics) and time.monotonic() < deadline:
            for host, port, _ in medics:
                if host not in acted and owner_done(port, per_host):
                    acted[host] = time.monotonic() - start
            time.sleep(0.02)
        time.sleep(1.0)  # the last requests' answers and memory settle
        rows = []
        for host, port, proc in medics:
            _, body = bench.http_get(f"http://{LOOPBACK}:{port}/metrics")
            ignored = bench.sample_sum(body, "medic_alerts_ignored_total", reason="other_host")
            cpu = proc.cpu_seconds() - before[host][0]
            anon = anon_bytes(proc) - before[host][1]
            rows.append({"host": host, "acted_seconds": acted.get(host), "cpu_seconds": cpu,
                         "anon_growth_bytes": anon, "foreign_alerts": ignored,
                         "own_jobs": bench.sample_sum(body, "medic_remediations_total",
                                                      result="dry_run")})
        _, am_metrics = bench.http_get(f"http://{LOOPBACK}:{am_port}/metrics")
        am_cpu = alertmanager.cpu_seconds()
        notifications = bench.sample_sum(am_metrics, "alertmanager_notifications_total")

        # Foreign alerts alone: one medic, the other hosts' groups, replayed straight.
        host, port, proc = medics[0]
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        bodies = [group_body(f"host-{i}", per_host, now) for i in range(2, args.hosts + 1)]
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
        replay_cpu0 = proc.cpu_seconds()
        replay_anon0 = anon_bytes(proc)
        replay_start = time.monotonic()
        for _ in range(args.replay_rounds):
            for body in bodies:
                status, _ = bench.http_post(f"http://{LOOPBACK}:{port}/webhook", body, headers)
                assert status == 200, status
        replay_wall = time.monotonic() - replay_start
        replay_alerts = args.replay_rounds * len(bodies) * per_host
        replay = {"alerts": replay_alerts, "requests": args.replay_rounds * len(bodies),
                  "cpu_seconds": proc.cpu_seconds() - replay_cpu0,
                  "anon_growth_bytes": anon_bytes(proc) - replay_anon0,
                  "wall_seconds": replay_wall}
    finally:
        bench.stop_all()

    cpu = [r["cpu_seconds"] for r in rows]
    anon = [r["anon_growth_bytes"] for r in rows]
    times = [r["acted_seconds"] for r in rows if r["acted_seconds"] is not None]
    foreign = args.alerts - per_host
    print(f"fleet broadcast: {args.alerts} alerts for {args.hosts} hosts through one Alertmanager "
          f"receiver listing {args.hosts} medics ({notifications:.0f} webhook notifications, "
          f"Alertmanager CPU {am_cpu:.2f} s since start)")
    print(f"{'host':<8} {'acted after s':>13} {'CPU ms':>8} {'RssAnon +KiB':>12} {'foreign':>8} {'own jobs':>8}")
    for r in rows:
        acted_text = f"{r['acted_seconds']:.2f}" if r["acted_seconds"] is not None else "never"
        print(f"{r['host']:<8} {acted_text:>13} {r['cpu_seconds'] * 1000:>8.1f} "
              f"{r['anon_growth_bytes'] / 1024:>12.0f} {r['foreign_alerts']:>8.0f} {r['own_jobs']:>8.0f}")
    print(f"every owner acted within {max(times) if times else float('nan'):.2f} s "
          f"({len(times)}/{len(rows)} owners); per medic CPU median {statistics.median(cpu) * 1000:.1f} ms "
          f"for {foreign} foreign + {per_host} own alerts, RssAnon growth median "
          f"{statistics.median(anon) / 1024:.0f} KiB")
    per_alert_us = replay["cpu_seconds"] / replay["alerts"] * 1e6
    print(f"foreign alerts alone: {replay['alerts']} in {replay['requests']} requests to one medic: "
          f"{per_alert_us:.1f} µs CPU per foreign alert "
          f"({replay['cpu_seconds'] / replay['requests'] * 1000:.2f} ms per {per_host}-alert request), "
          f"RssAnon {replay['anon_growth_bytes'] / 1024:+.0f} KiB, wall {replay['wall_seconds']:.2f} s")
    results = os.path.join(args.root, "bench", "results")
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, "fleet_bench.json"), "w") as out:
        json.dump({"hosts": args.hosts, "alerts": args.alerts, "medics": rows,
                   "alertmanager_notifications": notifications, "alertmanager_cpu_seconds": am_cpu,
                   "replay": replay}, out, indent=2)


if __name__ == "__main__":
    main()
