#!/usr/bin/env python3
"""Connection flood while Prometheus scrapes and Alertmanager delivers, side by side with
node_exporter on the same flood and the same exporter-toolkit web config (TLS + basic auth).

Against each server's TLS port, from 20 other loopback addresses (127.0.0.20..39), all open at
once:
  - 10,000 idle TCP connections that never send a byte (stalled before any ClientHello);
  - 500 slowloris connections: a finished TLS handshake, then an HTTP head one byte a second;
  - 300 stalled TLS handshakes: the first bytes of a ClientHello, then nothing.
During the flood, from 127.0.0.1: 50 authenticated scrapes of /metrics and (medic only, the peer
has no webhook) 50 webhook POSTs, each on a new TLS connection, paced over the flood, plus
/-/healthy. Prints per server: scrape p50/p99, webhook p99 and statuses, health, threads and
anonymous memory (RssAnon) at peak and after; then the targets and the ratio
medic/node_exporter. Writes JSON to bench/results/.
"""

import argparse
import asyncio
import base64
import http.client
import json
import os
import resource
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (shares Proc, free_port, wait_port, the webhook payload)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # noqa: E402  (libcrypt's bcrypt, as htpasswd -B makes it)

LOOPBACK = bench.LOOPBACK
ATTACKERS = [f"127.0.0.{i}" for i in range(20, 40)]
CLIENT_HELLO_START = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"


def raise_open_files():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def status_memory(pid):
    """(RssAnon bytes, threads) of a process."""
    anon = threads = 0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                anon = int(line.split()[1]) * 1024
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return anon, threads


class Flood:
    """The attack, on its own event loop thread, holding every connection open until stop()."""

    def __init__(self, port, idle, slowloris, stalled_tls):
        self.port, self.counts = port, {"idle": idle, "slowloris": slowloris,
                                        "stalled_tls": stalled_tls}
        self.opened = {"idle": 0, "slowloris": 0, "stalled_tls": 0}
        self.closed_by_server = {"idle": 0, "slowloris": 0, "stalled_tls": 0}
        self.loop = asyncio.new_event_loop()
        self.stopping = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        self.ready.wait(120)

    def stop(self):
        self.loop.call_soon_threadsafe(self.stopping.set)
        self.thread.join(60)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())

    async def _hold(self, kind, reader, writer, trickle=None):
        self.opened[kind] += 1
        try:
            while not self.stopping.is_set():
                if trickle is not None:
                    writer.write(trickle)
                    await writer.drain()
                try:
                    data = await asyncio.wait_for(reader.read(4096), 1.0)
                    if not data:
                        self.closed_by_server[kind] += 1
                        return
                except asyncio.TimeoutError:
                    pass
        except (OSError, ssl.SSLError):
            self.closed_by_server[kind] += 1
        finally:
            writer.close()

    async def _open(self, kind, index, tls_context):
        source = ATTACKERS[index % len(ATTACKERS)]
        try:
            if kind == "slowloris":
                reader, writer = await asyncio.wait_for(asyncio.open_connection(
                    LOOPBACK, self.port, ssl=tls_context, local_addr=(source, 0)), 30)
                writer.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
                await self._hold(kind, reader, writer, trickle=b"X")
                return
            reader, writer = await asyncio.wait_for(asyncio.open_connection(
                LOOPBACK, self.port, local_addr=(source, 0)), 30)
            if kind == "stalled_tls":
                writer.write(CLIENT_HELLO_START)
            await self._hold(kind, reader, writer)
        except (OSError, asyncio.TimeoutError, ssl.SSLError):
            self.closed_by_server[kind] += 1

    async def _main(self):
        self.stopping = asyncio.Event()
        tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        tls_context.check_hostname = False
        tls_context.verify_mode = ssl.CERT_NONE
        tasks = []
        for kind in ("slowloris", "stalled_tls", "idle"):
            for index in range(self.counts[kind]):
                tasks.append(asyncio.ensure_future(self._open(kind, index, tls_context)))
                if index % 200 == 199:
                    await asyncio.sleep(0.01)  # let the connects go out
        await asyncio.sleep(2)
        self.ready.set()
        await self.stopping.wait()
        await asyncio.gather(*tasks, return_exceptions=True)


def timed_request(port, method, path, headers, body=None, timeout=10.0):
    """One request on a new TLS connection: (status or None, milliseconds)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    started = time.monotonic()
    connection = http.client.HTTPSConnection(LOOPBACK, port, timeout=timeout, context=context)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException, ssl.SSLError):
        status = None
    finally:
        connection.close()
    return status, (time.monotonic() - started) * 1000


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(name, proc, port, args, authorization, webhook_token):
    headers = {"Authorization": authorization}
    payload = bench.alertmanager_payload()
    # Idle is measured after the same requests without the flood (the right password's bcrypt
    # paid, the journal's page cache warm), so "after" compares like with like.
    for i in range(args.requests):
        status, _ = timed_request(port, "GET", "/metrics", headers)
        if status != 200:
            raise RuntimeError(f"{name}: warm-up scrape answered {status}")
        if webhook_token:
            body = payload.replace("@@FP@@", f"warm{i:04x}").encode()
            status, _ = timed_request(port, "POST", "/webhook",
                                      {"Content-Type": "application/json",
                                       "Authorization": f"Bearer {webhook_token}"}, body)
            if status != 200:
                raise RuntimeError(f"{name}: warm-up webhook answered {status}")
    time.sleep(1)
    idle_anon, idle_threads = status_memory(proc.pid)
    flood = Flood(port, args.idle, args.slowloris, args.stalled_tls)
    flood.start()
    peak = {"anon": idle_anon, "threads": idle_threads}
    sampling = threading.Event()

    def sample():
        while not sampling.wait(0.25):
            anon, threads = status_memory(proc.pid)
            peak["anon"] = max(peak["anon"], anon)
            peak["threads"] = max(peak["threads"], threads)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu0 = proc.cpu_seconds()
    scrapes, hooks, health = [], [], []
    for i in range(args.requests):
        scrapes.append(timed_request(port, "GET", "/metrics", headers))
        if webhook_token:
            body = payload.replace("@@FP@@", f"{i:04x}").encode()
            hooks.append(timed_request(port, "POST", "/webhook",
                                       {"Content-Type": "application/json",
                                        "Authorization": f"Bearer {webhook_token}"}, body))
        if i % 10 == 0:
            health.append(timed_request(port, "GET", "/-/healthy", {}))
        time.sleep(args.pace)
    cpu = proc.cpu_seconds() - cpu0
    held = dict(flood.opened)
    closed = dict(flood.closed_by_server)
    sampling.set()
    sampler.join()
    flood.stop()
    time.sleep(args.settle)
    after_anon, after_threads = status_memory(proc.pid)
    scrape_ms = [ms for status, ms in scrapes if status == 200]
    hook_ms = [ms for status, ms in hooks if status == 200]
    return {
        "scrape_ok": len(scrape_ms), "scrape_p50_ms": percentile(scrape_ms, 0.5),
        "scrape_p99_ms": percentile(scrape_ms, 0.99), "scrape_max_ms": max(scrape_ms, default=0),
        "scrape_statuses": sorted({str(s) for s, _ in scrapes}),
        "webhook_ok": len(hook_ms), "webhooks": len(hooks),
        "webhook_p99_ms": percentile(hook_ms, 0.99), "webhook_max_ms": max(hook_ms, default=0),
        "healthy_ok": sum(1 for status, _ in health if status == 200), "healthy": len(health),
        "healthy_max_ms": max((ms for _, ms in health), default=0),
        "flood_opened": held, "flood_closed_by_server": closed,
        "cpu_s": cpu, "idle_anon_mib": idle_anon / bench.MIB, "peak_anon_mib": peak["anon"] / bench.MIB,
        "after_anon_mib": after_anon / bench.MIB, "idle_threads": idle_threads,
        "peak_threads": peak["threads"], "after_threads": after_threads,
    }


def make_certificate(work):
    key, cert = os.path.join(work, "server.key"), os.path.join(work, "server.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--medic", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--idle", type=int, default=10000)
    parser.add_argument("--slowloris", type=int, default=500)
    parser.add_argument("--stalled-tls", type=int, default=300)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--pace", type=float, default=0.1)
    parser.add_argument("--settle", type=float, default=6.0)
    parser.add_argument("--cost", type=int, default=10)
    args = parser.parse_args()

    limit = raise_open_files()
    needed = args.idle + args.slowloris + args.stalled_tls + 200
    if limit < needed:
        print(f"connection flood: skipped: the open-files hard limit {limit} is below {needed}")
        return
    work = tempfile.mkdtemp(prefix="medic-flood-bench-")
    logs = os.path.join(work, "logs")
    os.makedirs(logs)
    cert, key = make_certificate(work)
    password = "right-password"
    hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** args.cost))
    web = os.path.join(work, "web.yml")
    with open(web, "w") as out:
        out.write(f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n"
                  f"basic_auth_users:\n  prometheus: '{hashed}'\n")
    authorization = "Basic " + base64.b64encode(f"prometheus:{password}".encode()).decode()
    token = "flood-" + os.urandom(12).hex()
    token_file = os.path.join(work, "token")
    with open(token_file, "w") as out:
        out.write(token + "\n")
    data_dir = os.path.join(work, "data")
    os.makedirs(data_dir)
    config = os.path.join(work, "medic.yml")
    with open(config, "w") as out:
        json.dump({"data_dir": data_dir, "collectors": {"filesystem": {"mountpoints": ["/"]}},
                   "webhook": {"path": "/webhook", "bearer_token_file": token_file}}, out)

    results = {}
    try:
        for name in ("medic", "node_exporter"):
            port = bench.free_port()
            listen = f"{LOOPBACK}:{port}"
            proc = bench.Proc(name, bench.flood_argv(name, args.medic, listen, web, config), logs)
            try:
                bench.wait_port(port, proc)
                results[name] = measure(name, proc, port, args, authorization,
                                        token if name == "medic" else None)
            finally:
                proc.stop()
            r = results[name]
            print(f"  {name}: scrapes {r['scrape_ok']}/{args.requests} ok, p50 "
                  f"{r['scrape_p50_ms']:.1f} ms p99 {r['scrape_p99_ms']:.1f} ms; webhooks "
                  f"{r['webhook_ok']}/{r['webhooks']} ok, p99 {r['webhook_p99_ms']:.1f} ms; healthy "
                  f"{r['healthy_ok']}/{r['healthy']}; threads {r['idle_threads']} idle, "
                  f"{r['peak_threads']} peak; RssAnon {r['idle_anon_mib']:.1f} MiB idle, "
                  f"{r['peak_anon_mib']:.1f} peak, {r['after_anon_mib']:.1f} after; cpu "
                  f"{r['cpu_s']:.2f} s; flood opened {r['flood_opened']}, closed by the server "
                  f"{r['flood_closed_by_server']}", flush=True)
    finally:
        bench.stop_all()
    medic, peer = results["medic"], results["node_exporter"]
    ratio = (medic["scrape_p99_ms"] / peer["scrape_p99_ms"]
             if peer["scrape_p99_ms"] > 0 else float("nan"))
    targets = {
        "scrape p99 < 50 ms": medic["scrape_p99_ms"] < 50 and medic["scrape_ok"] == args.requests,
        "scrape p99 within 2x node_exporter's": ratio <= 2,
        "every webhook 200 within 100 ms": (medic["webhook_ok"] == medic["webhooks"]
                                            and medic["webhook_max_ms"] < 100),
        "/-/healthy answers": medic["healthy_ok"] == medic["healthy"],
        "threads < 16": medic["peak_threads"] < 16,
        "RssAnon < 64 MiB during the flood": medic["peak_anon_mib"] < 64,
        "RssAnon within 2 MiB of idle after": medic["after_anon_mib"] - medic["idle_anon_mib"] <= 2,
    }
    for target, met in targets.items():
        print(f"  [{'PASS' if met else 'FAIL'}] connection flood: {target}")
    print(f"connection flood ({args.idle} idle, {args.slowloris} slowloris, {args.stalled_tls} "
          f"stalled TLS handshakes): scrape p99 medic {medic['scrape_p99_ms']:.1f} ms vs "
          f"node_exporter {peer['scrape_p99_ms']:.1f} ms (x{ratio:.2f})")
    out_dir = os.path.join(args.root, "bench", "results")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, time.strftime("connection-flood-%Y%m%dT%H%M%S.json"))
    with open(path, "w") as out:
        json.dump({"config": vars(args), "results": results, "p99_ratio": ratio,
                   "targets": targets}, out, indent=1)
    print(f"connection flood: results in {os.path.relpath(path, args.root)}")


if __name__ == "__main__":
    main()
