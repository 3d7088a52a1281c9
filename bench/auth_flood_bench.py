#!/usr/bin/env python3
"""Wrong-password flood while Prometheus scrapes (issue: 500 wrong-password attempts per second
from 10 peers; scrape p99 < 50 ms), side by side with node_exporter on the same flood and the
same exporter-toolkit web config (basic_auth_users, one bcrypt user).

The flood is open-loop (asyncio): every 2 ms a new connection from one of 127.0.0.2..11 sends a
request with a wrong password, whatever the server's speed, so a slow server is not spared load.
During it wrk scrapes with the right credentials from 127.0.0.1. Prints per server: the flood's
answers (401, 429, no answer), scrape p50/p99, server CPU seconds during the flood, threads and
resident memory; then the ratio medic/node_exporter. Writes JSON to bench/results/.
"""

import argparse
import asyncio
import base64
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (shares Proc, free_port, HTTP helpers, the wrk report script)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # noqa: E402  (libcrypt's bcrypt, as htpasswd -B makes it)

LOOPBACK = bench.LOOPBACK
PEERS = [f"127.0.0.{i}" for i in range(2, 12)]


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def one_attempt(port, source, index, counts, timeout):
    request = (f"GET /metrics HTTP/1.1\r\nHost: {LOOPBACK}\r\nConnection: close\r\n"
               f"Authorization: {basic('prometheus', f'guess-{index}')}\r\n\r\n").encode()
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(LOOPBACK, port, local_addr=(source, 0)), timeout)
        try:
            writer.write(request)
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), timeout)
            status = line.split(b" ")[1].decode() if line.count(b" ") >= 2 else "none"
        finally:
            writer.close()
    except (OSError, asyncio.TimeoutError, IndexError):
        status = "none"
    counts[status] = counts.get(status, 0) + 1


async def flood(port, rate, seconds, timeout):
    counts = {}
    tasks = []
    interval = 1.0 / rate
    start = time.monotonic()
    index = 0
    while time.monotonic() - start < seconds:
        due = start + index * interval
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(
            one_attempt(port, PEERS[index % len(PEERS)], index, counts, timeout)))
        index += 1
    await asyncio.gather(*tasks)
    return counts, index / (time.monotonic() - start)


def run_wrk_with_auth(url, seconds, authorization, lua):
    argv = ["wrk", "-t1", "-c2", f"-d{seconds}s", "--timeout", "10s", "-H",
            f"Authorization: {authorization}", "-s", lua, url]
    output = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    for line in output.stdout.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line[len("WRKJSON "):])
    raise RuntimeError(f"wrk gave no report: {output.stdout} {output.stderr}")


def measure(name, proc, port, args, authorization, lua):
    url = f"http://{LOOPBACK}:{port}/metrics"
    for _ in range(3):  # the first right password pays its bcrypt before the flood
        request = urllib.request.Request(url, headers={"Authorization": authorization})
        with urllib.request.urlopen(request, timeout=30) as response:
            status = response.status
        if status != 200:
            raise RuntimeError(f"{name}: scrape with the right password answered {status}")
    quiet = run_wrk_with_auth(url, 2, authorization, lua)
    cpu0 = proc.cpu_seconds()
    result = {}

    def scrape():
        time.sleep(1)  # let the flood reach its rate first
        result["wrk"] = run_wrk_with_auth(url, args.seconds - 2, authorization, lua)

    scraper = threading.Thread(target=scrape)
    scraper.start()
    counts, achieved = asyncio.run(flood(port, args.rate, args.seconds, args.timeout))
    scraper.join()
    cpu = proc.cpu_seconds() - cpu0
    hwm, rss = proc.memory()
    wrk = result["wrk"]
    return {"quiet_p99_ms": quiet["p99_us"] / 1000, "p50_ms": wrk["p50_us"] / 1000,
            "p99_ms": wrk["p99_us"] / 1000, "scrapes": wrk["requests"],
            "scrape_errors": wrk["socket_errors"] + wrk["status_errors"],
            "flood_rate_per_s": achieved, "flood_answers": counts, "cpu_s": cpu,
            "threads": proc.threads(), "rss_mib": rss / bench.MIB}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--medic", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--cost", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="medic-auth-bench-")
    logs = os.path.join(work, "logs")
    os.makedirs(logs)
    password = "right-password"
    hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** args.cost))
    web = os.path.join(work, "web.yml")
    with open(web, "w") as out:
        out.write(f"basic_auth_users:\n  prometheus: '{hashed}'\n")
    authorization = basic("prometheus", password)
    lua = os.path.join(work, "report.lua")
    with open(lua, "w") as out:
        out.write(bench.WRK_REPORT_LUA)

    results = {}
    try:
        for name in ("medic", "node_exporter"):
            port = bench.free_port()
            listen = f"{LOOPBACK}:{port}"
            proc = bench.Proc(name, bench.flood_argv(name, args.medic, listen, web), logs)
            try:
                bench.wait_port(port, proc)
                results[name] = measure(name, proc, port, args, authorization, lua)
            finally:
                proc.stop()
            r = results[name]
            print(f"  {name}: flood {r['flood_rate_per_s']:.0f}/s answered {r['flood_answers']}; "
                  f"scrape p50 {r['p50_ms']:.2f} ms p99 {r['p99_ms']:.2f} ms "
                  f"(quiet p99 {r['quiet_p99_ms']:.2f} ms), {r['scrapes']} scrapes, "
                  f"{r['scrape_errors']} errors; cpu {r['cpu_s']:.2f} s, {r['threads']} threads, "
                  f"rss {r['rss_mib']:.1f} MiB", flush=True)
    finally:
        bench.stop_all()
    medic, peer = results["medic"], results["node_exporter"]
    ratio = medic["p99_ms"] / peer["p99_ms"] if peer["p99_ms"] > 0 else float("nan")
    print(f"auth flood ({args.rate:.0f} wrong passwords/s from {len(PEERS)} peers, bcrypt cost "
          f"{args.cost}, {args.seconds} s): scrape p99 medic {medic['p99_ms']:.2f} ms vs "
          f"node_exporter {peer['p99_ms']:.2f} ms (x{ratio:.3f}); target p99 < 50 ms: "
          f"{'met' if medic['p99_ms'] < 50 and medic['scrape_errors'] == 0 else 'MISSED'}; "
          f"cpu during the flood medic {medic['cpu_s']:.2f} s vs node_exporter "
          f"{peer['cpu_s']:.2f} s")
    out_dir = os.path.join(args.root, "bench", "results")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, time.strftime("auth-flood-%Y%m%dT%H%M%S.json"))
    with open(path, "w") as out:
        json.dump({"config": vars(args), "results": results,
                   "p99_ratio": ratio}, out, indent=1)
    print(f"auth flood: results in {os.path.relpath(path, args.root)}")


if __name__ == "__main__":
    main()
