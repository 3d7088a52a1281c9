#!/usr/bin/env python3
"""The status page's cost (issue: first render < 200 ms, page < 100 KB), measured on a medic
with a real journal of diagnostics jobs, a log source and a failing probe, so every section of
the page has content (stdlib only; Chromium from Debian for the browser figure).

Prints: page weight; server-side render latency p50/p99 over sequential GETs and medic CPU ms
per render (from /proc/PID/stat); Chromium's load of the page minus its load of about:blank
(the same browser start), median of --browser-runs. Writes JSON to bench/results/.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (shares Proc, free_port, HTTP helpers, the alert payload)


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def chromium_seconds(url, profile):
    argv = ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--dump-dom", url]
    start = time.monotonic()
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120)
    elapsed = time.monotonic() - start
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode} for {url}")
    return elapsed, done.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--medic", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--renders", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--browser-runs", type=int, default=5)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="medic-page-bench-")
    try:
        token = os.path.join(work, "token")
        with open(token, "w") as out:
            out.write("bench-token\n")
        log = os.path.join(work, "app.log")
        open(log, "w").close()
        port = bench.free_port()
        config = os.path.join(work, "medic.yml")
        with open(config, "w") as out:
            out.write(f"""data_dir: {work}/data
collectors:
  filesystem: {{mountpoints: [/]}}
  probe: [{{name: api, url: "http://127.0.0.1:{bench.free_port()}/health", timeout: 1s}}]
  logs:
    poll_interval: 200ms
    sources: [{{name: app, path: {log}}}]
webhook: {{bearer_token_file: {token}}}
targets: [review-bot]
remediations:
  - name: high-error-rate
    match: {{alertname: HighErrorRate}}
    target: review-bot
    steps: [{{diagnostics: {{log_lines: 10, keep: 10}}}}]
""")
        medic = bench.Proc("medic", [args.medic, f"--config.file={config}",
                                     f"--web.listen-address=127.0.0.1:{port}"], work)
        base = f"http://127.0.0.1:{port}"
        bench.wait_http(base + "/-/ready", medic)
        with open(log, "a") as out:
            for i in range(2000):
                out.write(f"203.0.113.{i % 50} - - \"GET /admin\" 401 Unauthorized\n")
        payload = bench.alertmanager_payload()
        for job in range(args.jobs):
            status, body = bench.http_post(
                base + "/webhook", payload.replace("@@FP@@", f"{job:04d}").encode(),
                {"Content-Type": "application/json", "Authorization": "Bearer bench-token"})
            if status != 200:
                raise RuntimeError(f"webhook answered {status}: {body}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            jobs = json.loads(bench.http_get(base + "/api/v1/remediations")[1])["remediations"]
            if len(jobs) >= args.jobs and all(j["state"] in ("succeeded", "failed") for j in jobs):
                break
            time.sleep(0.2)

        _, page = bench.http_get(base + "/")
        weight = len(page.encode())
        latencies = []
        cpu_before = medic.cpu_seconds()
        for _ in range(args.renders):
            start = time.monotonic()
            bench.http_get(base + "/")
            latencies.append((time.monotonic() - start) * 1000)
        cpu_ms = (medic.cpu_seconds() - cpu_before) * 1000 / args.renders

        browser = {}
        if shutil.which("chromium") or os.path.exists("/usr/bin/chromium"):
            deltas = []
            for run in range(args.browser_runs):
                profile = os.path.join(work, f"profile-{run}")
                blank, _ = chromium_seconds("about:blank", profile)
                loaded, dom = chromium_seconds(base + "/", profile)
                if b'<section id="remediations">' not in dom:
                    raise RuntimeError("chromium did not render the remediations section")
                deltas.append((loaded - blank) * 1000)
            browser = {"median_ms": statistics.median(deltas), "min_ms": min(deltas),
                       "max_ms": max(deltas)}
        medic.stop()

        results = {"page_bytes": weight, "jobs_on_page": args.jobs,
                   "render_p50_ms": percentile(latencies, 50),
                   "render_p99_ms": percentile(latencies, 99), "cpu_ms_per_render": cpu_ms,
                   "browser_load_minus_blank": browser}
        print(f"status page: {weight / 1024:.1f} KiB with {args.jobs} jobs "
              f"(bar < 100 KiB); server render p50 {results['render_p50_ms']:.2f} ms, "
              f"p99 {results['render_p99_ms']:.2f} ms, {cpu_ms:.2f} ms CPU/render")
        if browser:
            print(f"status page: Chromium load minus about:blank median {browser['median_ms']:.0f} ms "
                  f"(min {browser['min_ms']:.0f}, max {browser['max_ms']:.0f}; bar < 200 ms)")
        out_dir = os.path.join(args.root, "bench", "results")
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, f"status-page-{int(time.time())}.json"), "w") as out:
            json.dump(results, out, indent=2)
        return 0
    finally:
        bench.stop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
