#!/usr/bin/env python3
"""medic against the peer exporters on the same work, in one run (stdlib only).

Every process listens on 127.0.0.1 on a free port and is stopped by its PID; every container
is created under a name unique to this run and removed by that name. For each job (disk,
cache, cert, logs, containers, webhook) medic and its peer run interleaved (A B A B ...),
freshly started for each run, repeated --repeats times; the table shows medians with min-max
and the median of the per-pair ratios (medic / peer), since the machine is shared and noisy
and only ratios from the same run mean much. A job medic cannot do yet (its collector is not
in this build) is reported as skipped, detected by a scrape that lacks the job's metrics.
"""

import argparse
import concurrent.futures
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LOOPBACK = "127.0.0.1"
MIB = 1024 * 1024

# --------------------------------------------------------------------------------------------
# Processes: started by us, stopped by PID, measured from /proc.


class Proc:
    """One long-running process we started; stop() ends exactly this PID."""

    live = []  # every Proc not yet stopped, for cleanup on any exit path

    def __init__(self, name, argv, log_dir, env=None, cwd=None):
        self.name = name
        self.argv = argv
        self.log_path = os.path.join(log_dir, f"{name}-{int(time.time() * 1000) % 10**8}.log")
        self.log = open(self.log_path, "wb")
        self.popen = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, env=env, cwd=cwd)
        self.pid = self.popen.pid
        Proc.live.append(self)

    def alive(self):
        return self.popen.poll() is None

    def cpu_seconds(self):
        """utime + stime of this process (all its threads) from /proc/PID/stat."""
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def memory(self):
        """(VmHWM, VmRSS) in bytes."""
        values = {}
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                key, _, rest = line.partition(":")
                if key in ("VmHWM", "VmRSS", "Threads"):
                    values[key] = int(rest.split()[0])
        return values["VmHWM"] * 1024, values["VmRSS"] * 1024

    def anon_and_pss(self):
        """(RssAnon, Pss) in bytes: what medic is judged by. File-backed library pages are
        shared and reclaimable; anonymous memory and the proportional share are its own."""
        anon = 0
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    anon = int(line.split()[1]) * 1024
        pss = 0
        try:
            with open(f"/proc/{self.pid}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        pss = int(line.split()[1]) * 1024
        except OSError:
            pass
        return anon, pss

    def threads(self):
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
        return 0

    def tail(self, lines=15):
        try:
            with open(self.log_path, "rb") as log:
                return b"\n".join(log.read().splitlines()[-lines:]).decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self in Proc.live:
            Proc.live.remove(self)
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.log.close()


def flood_argv(name, medic, listen, web_config, config=None):
    """argv of medic or node_exporter (disk collector only) on `listen` with the same
    exporter-toolkit web config: the flood benches run both on the same attack."""
    if name == "medic":
        argv = [medic, f"--web.listen-address={listen}", f"--web.config.file={web_config}",
                "--log.level=warn"]
        return argv + ([f"--config.file={config}"] if config else [])
    return ["prometheus-node-exporter", "--collector.disable-defaults", "--collector.filesystem",
            "--collector.filesystem.mount-points-exclude=^/.+", f"--web.listen-address={listen}",
            f"--web.config.file={web_config}"]


def stop_all():
    for proc in list(reversed(Proc.live)):
        try:
            proc.stop()
        except Exception as error:  # keep cleaning up the rest
            print(f"bench: stopping {proc.name} ({proc.pid}): {error}", file=sys.stderr)


def free_port():
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def http_get(url, timeout=10.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode(errors="replace")


def http_post(url, body, headers, timeout=10.0):
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def wait_http(url, proc, timeout=20.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{proc.name} exited: {proc.tail()}")
        try:
            status, body = http_get(url, timeout=5)
            if status == 200:
                return body
            last = status
        except (OSError, urllib.error.URLError) as error:
            last = error
        time.sleep(0.05)
    raise RuntimeError(f"{url} not ready within {timeout}s ({last}); {proc.tail() if proc else ''}")


def wait_port(port, proc, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{proc.name} exited: {proc.tail()}")
        with socket.socket() as probe:
            if probe.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} not listening within {timeout}s")


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def samples(text, name):
    """[(labels, value)] for every sample of metric `name` in a text exposition."""
    found = []
    for line in text.splitlines():
        if not line or line[0] == "#":
            continue
        match = SAMPLE.match(line)
        if match and match.group(1) == name:
            found.append((dict(LABEL.findall(match.group(3) or "")), float(match.group(4))))
    return found


def sample_sum(text, name, **labels):
    return sum(v for l, v in samples(text, name) if all(l.get(k) == x for k, x in labels.items()))


# --------------------------------------------------------------------------------------------
# wrk: fixed connections and duration; a Lua done() hands back exact figures as JSON.

WRK_REPORT_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\"requests\":%d,\"duration_us\":%d,\"p50_us\":%d,\"p99_us\":%d,\"socket_errors\":%d,\"status_errors\":%d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def run_wrk(url, seconds, connections, threads, lua_path):
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
            "-s", lua_path, url]
    output = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    for line in output.stdout.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line[len("WRKJSON "):])
    raise RuntimeError(f"wrk gave no report: {output.stdout} {output.stderr}")


# --------------------------------------------------------------------------------------------
# Shared fixtures: one Redis, one TLS endpoint, one log corpus, one podman engine.


class Fixtures:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.logs_dir = os.path.join(work, "logs")
        os.makedirs(self.logs_dir)
        self.redis_port = None
        self.tls_port = None
        self.podman_dir = None
        self.podman_socket = None
        self.podman_env = None
        self.podman_pid = None
        self.containers = []
        self.podman_note = ""

    # Redis: no persistence, a realistic keyspace and some hits and misses.
    def start_redis(self):
        self.redis_port = free_port()
        proc = Proc("redis", ["redis-server", "--bind", LOOPBACK, "--port", str(self.redis_port),
                              "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
                    self.logs_dir)
        wait_port(self.redis_port, proc)
        commands = []
        for i in range(2000):
            commands.append(f"SET review:{i} {'x' * 64}")
            if i % 4 == 0:
                commands.append(f"EXPIRE review:{i} 3600")
        for i in range(500):
            commands.append(f"GET review:{i * 7}")
        subprocess.run(["redis-cli", "-h", LOOPBACK, "-p", str(self.redis_port)],
                       input="\n".join(commands) + "\n", capture_output=True, text=True,
                       check=True, timeout=60)

    # TLS: a CA and a leaf for "localhost", served by openssl s_server.
    def start_tls(self):
        tls = os.path.join(self.work, "tls")
        os.makedirs(tls)
        run = lambda *argv: subprocess.run(argv, cwd=tls, check=True, capture_output=True,
                                           timeout=60)
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj",
            "/CN=medic bench CA")
        run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost")
        with open(os.path.join(tls, "ext.cnf"), "w") as ext:
            ext.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        run("openssl", "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "leaf.pem", "-days", "20", "-extfile", "ext.cnf")
        self.ca_file = os.path.join(tls, "ca.pem")
        self.tls_port = free_port()
        proc = Proc("s_server", ["openssl", "s_server", "-quiet", "-accept",
                                 f"{LOOPBACK}:{self.tls_port}", "-cert", "leaf.pem", "-key",
                                 "leaf.key", "-cert_chain", "ca.pem", "-www"], self.logs_dir,
                    cwd=tls)
        wait_port(self.tls_port, proc)

    # Podman: scripts/podman-env.sh (from the container work) gives a private engine.
    def start_podman(self, count):
        script = os.path.join(self.args.root, "scripts", "podman-env.sh")
        if not os.path.exists(script):
            self.podman_note = "scripts/podman-env.sh missing (it comes with the container collector)"
            return False
        if shutil.which("podman") is None:
            self.podman_note = "podman is not installed"
            return False
        self.podman_dir = os.path.join(self.work, "podman")
        env = dict(os.environ, MEDIC_PODMAN_IDLE_SECONDS="0")
        started = subprocess.run(["bash", script, "start", self.podman_dir], capture_output=True,
                                 text=True, env=env, timeout=300)
        if started.returncode != 0:
            self.podman_note = f"podman engine did not start: {started.stderr.strip()[-300:]}"
            return False
        self.podman_socket = started.stdout.strip().splitlines()[-1]
        with open(os.path.join(self.podman_dir, "podman.pid")) as pid_file:
            self.podman_pid = int(pid_file.read().strip())
        exports = subprocess.run(["bash", script, "env", self.podman_dir], capture_output=True,
                                 text=True, check=True).stdout
        self.podman_env = dict(os.environ)
        for line in exports.splitlines():
            match = re.match(r"export (\w+)='(.*)'", line)
            if match:
                self.podman_env[match.group(1)] = match.group(2)
        prefix = f"medic-bench-{os.getpid()}"

        def create(i):
            name = f"{prefix}-{i:02d}"
            self.containers.append(name)
            subprocess.run(self.podman_remote("run", "-d", "--name", name, "--network", "none",
                                              "--ulimit", "nofile=20000:20000", "--ulimit",
                                              "nproc=4096:4096", "localhost/medic-busybox:latest",
                                              "sleep", "86400"),
                           check=True, capture_output=True, env=self.podman_env, timeout=120)

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(create, range(count)))
        return True

    def podman_remote(self, *argv):
        return ["podman", "--remote", "--url", f"unix://{self.podman_socket}", *argv]

    def engine_cpu(self):
        try:
            with open(f"/proc/{self.podman_pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        except (OSError, TypeError):
            return 0.0

    def stop_podman(self):
        if not self.podman_dir:
            return
        if self.containers and self.podman_socket:
            subprocess.run(self.podman_remote("rm", "-f", "-t", "0", *self.containers),
                           capture_output=True, env=self.podman_env, timeout=300)
            self.containers = []
        # destroy, not stop: stop keeps podman's overlay bind mount, which then outlives the
        # work directory (rmtree cannot remove a mount point).
        script = os.path.join(self.args.root, "scripts", "podman-env.sh")
        subprocess.run(["bash", script, "destroy", self.podman_dir], capture_output=True,
                       timeout=60)
        self.podman_dir = None


# Five rules, as medic ships them for the seed's checks; Python, RE2 and Go agree on these.
LOG_RULES = [
    ("auth_failure", r"(?i)unauthorized|authentication failed|forbidden"),
    ("error", r"\bERROR\b"),
    ("critical", r"(?i)critical|fatal"),
    ("rate_limited", r"(?i)rate limit"),
    ("timeout", r"(?i)timeout|slow"),
]


def write_log_corpus(path, lines):
    """Realistic access/app log lines, 10% matching a rule; returns expected counts per rule."""
    paths = ["/api/v1/reviews/{}", "/api/v1/repos/acme/widgets/pulls/{}", "/health",
             "/api/v1/users/{}/settings", "/static/app.{}.js", "/webhook/github"]
    agents = ["Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
              "GitHub-Hookshot/8b9a3c1", "curl/7.88.1", "Go-http-client/1.1"]
    matching = [
        'WARN {ip} "POST /api/v1/login HTTP/1.1" 401 112 3ms "{ua}" authentication failed for user dev{n}',
        'WARN {ip} "GET /admin HTTP/1.1" 403 98 1ms "{ua}" Forbidden: missing scope repo:write',
        'ERROR {ip} "POST /api/v1/reviews HTTP/1.1" 500 77 812ms "{ua}" upstream returned unexpected EOF',
        'WARN {ip} "GET /api/v1/repos/acme/widgets HTTP/1.1" 429 55 0ms "{ua}" rate limit exceeded for token tk{n}',
        'ERROR {ip} "POST /webhook/github HTTP/1.1" 504 61 30001ms "{ua}" upstream timeout after 30s',
        'WARN {ip} "GET /api/v1/me HTTP/1.1" 401 0 2ms "{ua}" Unauthorized: token expired',
        'CRITICAL {ip} "POST /api/v1/reviews HTTP/1.1" 500 0 5ms "{ua}" fatal: database connection pool exhausted',
    ]
    compiled = [(name, re.compile(pattern)) for name, pattern in LOG_RULES]
    expected = {name: 0 for name, _ in LOG_RULES}
    with open(path, "w") as out:
        chunk = []
        for n in range(lines):
            second = n // 2000
            stamp = f"2026-11-29T{(second // 3600) % 24:02d}:{(second // 60) % 60:02d}:{second % 60:02d}.{n % 1000:03d}Z"
            ip = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
            ua = agents[n % len(agents)]
            if n % 10 == 3:
                text = matching[(n // 10) % len(matching)].format(ip=ip, ua=ua, n=n % 97)
            else:
                p = paths[n % len(paths)].format(n % 5000)
                text = f'INFO {ip} "GET {p} HTTP/1.1" 200 {1000 + n % 9000} {n % 40}ms "{ua}" req=r{n:08x}'
            line = f"{stamp} {text}"
            for name, regex in compiled:
                if regex.search(line):
                    expected[name] += 1
            chunk.append(line)
            if len(chunk) >= 10000:
                out.write("\n".join(chunk) + "\n")
                chunk = []
        if chunk:
            out.write("\n".join(chunk) + "\n")
    return expected


MTAIL_PROGRAM_HEAD = """# Counts the same five rules as medic's logs collector, one pass per line.
counter bench_log_lines_total
counter bench_log_matches_total by rule

/$/ {
  bench_log_lines_total++
}
"""


def mtail_program():
    blocks = [MTAIL_PROGRAM_HEAD]
    for name, pattern in LOG_RULES:
        blocks.append(f"/{pattern}/ {{\n  bench_log_matches_total[\"{name}\"]++\n}}\n")
    return "\n".join(blocks)


# --------------------------------------------------------------------------------------------
# Webhook payload: Alertmanager v4, five alerts, unique fingerprints per request.


def alertmanager_payload():
    alerts = []
    for i in range(5):
        alerts.append({
            "status": "firing",
            "labels": {"alertname": "HighErrorRate", "severity": "warning", "job": "review-bot",
                       "instance": f"review-bot-{i}:8000", "name": "review-bot",
                       "service": "review-bot"},
            "annotations": {"summary": "5xx ratio above 5% for 5m",
                            "description": f"review-bot-{i} returns 7.3% 5xx over the last 5 minutes",
                            "runbook_url": "https://runbooks.example.com/HighErrorRate"},
            "startsAt": "2026-11-29T03:00:00.000Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=sum%28rate%28http_requests_total%7Bcode%3D~%225..%22%7D%5B5m%5D%29%29&g0.tab=1",
            "fingerprint": f"@@FP@@{i}",
        })
    return json.dumps({
        "version": "4", "groupKey": "{}:{alertname=\"HighErrorRate\"}", "truncatedAlerts": 0,
        "status": "firing", "receiver": "medic",
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": {"alertname": "HighErrorRate", "severity": "warning", "job": "review-bot",
                         "name": "review-bot", "service": "review-bot"},
        "commonAnnotations": {"summary": "5xx ratio above 5% for 5m"},
        "externalURL": "http://127.0.0.1:9093", "alerts": alerts,
    })


def webhook_lua(path, token, run_id):
    template = alertmanager_payload()
    return f"""
local template = [==[{template}]==]
local headers = {{["Content-Type"] = "application/json",
                  ["Authorization"] = "Bearer {token}"}}
local made = 0
function setup(thread)
  thread:set("tid", made)
  made = made + 1
end
local counter = 0
function request()
  counter = counter + 1
  local fp = string.format("%02x%02x%010x", {run_id}, tid or 0, counter)
  local body = (string.gsub(template, "@@FP@@", fp))
  return wrk.format("POST", "{path}", headers, body)
end
""" + WRK_REPORT_LUA


def fsync_ceiling(directory, seconds=2.0):
    """Serial small write + fdatasync per notification: what a journal without group commit gets."""
    path = os.path.join(directory, "fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        count = 0
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            os.write(fd, b"x" * 512)
            os.fdatasync(fd)
            count += 1
        return count / (time.monotonic() - started)
    finally:
        os.close(fd)
        os.unlink(path)


# --------------------------------------------------------------------------------------------
# The bench itself.


def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="medic-bench-")
        self.fx = Fixtures(args, self.work)
        self.results = {"jobs": {}, "footprint": {}, "config": vars(args).copy()}
        self.report_lua = os.path.join(self.work, "report.lua")
        with open(self.report_lua, "w") as lua:
            lua.write(WRK_REPORT_LUA)
        self.medic_configs = 0
        self.supported = {}

    # ---- medic ----
    def medic_config(self, document):
        self.medic_configs += 1
        path = os.path.join(self.work, f"medic-{self.medic_configs}.yml")
        if self.fx.podman_socket and "docker" not in document:
            # The one engine setting, for every part of medic that talks to the engine.
            document = {"docker": {"host": f"unix://{self.fx.podman_socket}", "timeout": "10s"},
                        **document}
        with open(path, "w") as config:
            json.dump(document, config, indent=1)  # JSON is YAML
        return path

    def start_medic(self, config_path, name="medic"):
        port = free_port()
        argv = [self.args.medic, f"--web.listen-address={LOOPBACK}:{port}", "--log.level=warn"]
        if config_path:
            argv.append(f"--config.file={config_path}")
        proc = Proc(name, argv, self.fx.logs_dir)
        wait_http(f"http://{LOOPBACK}:{port}/-/ready", proc)
        return proc, port

    def job_sections(self):
        """medic config sections for each job, against the shared fixtures."""
        fx = self.fx
        sections = {
            "disk": {"filesystem": {"mountpoints": ["/"]}},
            "cache": {"redis": {"address": f"{LOOPBACK}:{fx.redis_port}", "timeout": "2s"}},
            "cert": {"cert": {"endpoints": [{"name": "bench", "address": f"{LOOPBACK}:{fx.tls_port}",
                                             "server_name": "localhost", "ca_file": fx.ca_file,
                                             "timeout": "5s"}]}},
        }
        if fx.podman_socket:
            sections["containers"] = {"container": {}}
        return sections

    def logs_section(self, path):
        return {"logs": {"sources": [{"name": "bench", "path": path, "from": "beginning"}],
                         "rules": [{"name": n, "regex": r} for n, r in LOG_RULES]}}

    # ---- peers ----
    def start_peer(self, job, extra=None):
        fx = self.fx
        port = free_port()
        listen = f"{LOOPBACK}:{port}"
        if job == "disk":
            proc = Proc("node_exporter", ["prometheus-node-exporter", "--collector.disable-defaults",
                                          "--collector.filesystem",
                                          "--collector.filesystem.mount-points-exclude=^/.+",
                                          f"--web.listen-address={listen}"], fx.logs_dir)
            url = f"http://{listen}/metrics"
        elif job == "cache":
            proc = Proc("redis_exporter", ["prometheus-redis-exporter",
                                           f"--redis.addr=redis://{LOOPBACK}:{fx.redis_port}",
                                           f"--web.listen-address={listen}"], fx.logs_dir)
            url = f"http://{listen}/metrics"
        elif job == "cert":
            config = os.path.join(self.work, "blackbox.yml")
            with open(config, "w") as out:
                out.write("modules:\n  tls:\n    prober: tcp\n    timeout: 5s\n    tcp:\n"
                          "      tls: true\n      tls_config:\n"
                          f"        ca_file: {fx.ca_file}\n        server_name: localhost\n")
            proc = Proc("blackbox_exporter", ["prometheus-blackbox-exporter",
                                              f"--config.file={config}",
                                              f"--web.listen-address={listen}"], fx.logs_dir)
            url = f"http://{listen}/probe?module=tls&target={LOOPBACK}:{fx.tls_port}"
        elif job == "logs":
            progs = os.path.join(self.work, "mtail-progs")
            os.makedirs(progs, exist_ok=True)
            with open(os.path.join(progs, "bench.mtail"), "w") as out:
                out.write(mtail_program())
            proc = Proc("mtail", ["mtail", "--progs", progs, "--logs", extra, "--address", LOOPBACK,
                                  "--port", str(port), "--logtostderr"], fx.logs_dir)
            url = f"http://{listen}/metrics"
        else:
            raise ValueError(job)
        wait_http(url, proc)
        return proc, url

    # ---- one scrape job: wrk on medic and on the peer, interleaved ----
    def measure_scrape(self, proc, url, connections=4, threads=2, seconds=None):
        seconds = seconds or self.args.seconds
        for _ in range(3):
            http_get(url)
        cpu0 = proc.cpu_seconds()
        wrk = run_wrk(url, seconds, connections, threads, self.report_lua)
        cpu1 = proc.cpu_seconds()
        hwm, rss = proc.memory()
        requests = max(wrk["requests"], 1)
        return {"p50_ms": wrk["p50_us"] / 1000, "p99_ms": wrk["p99_us"] / 1000,
                "scrapes_per_s": wrk["requests"] / (wrk["duration_us"] / 1e6),
                "cpu_s_per_1000": (cpu1 - cpu0) / requests * 1000,
                "peak_rss_mib": hwm / MIB, "steady_rss_mib": rss / MIB,
                "errors": wrk["socket_errors"] + wrk["status_errors"], "threads": proc.threads()}

    def detect(self, job, metric, sections):
        """Start medic once for the job; it supports the job when its scrape has `metric`."""
        proc, port = self.start_medic(self.medic_config({"collectors": sections}))
        try:
            body = http_get(f"http://{LOOPBACK}:{port}/metrics")[1]
        finally:
            proc.stop()
        return bool(samples(body, metric)), body

    JOB_INFO = {
        "disk": ("filesystem", "node_filesystem_size_bytes", "node_exporter (filesystem only)"),
        "cache": ("redis", "redis_up", "redis_exporter"),
        "cert": ("cert", "medic_cert_not_after_timestamp_seconds", "blackbox_exporter (tcp+tls)"),
        "logs": ("logs", "medic_log_lines_total", "mtail"),
        "containers": ("container", "container_memory_usage_bytes",
                       "podman ps + stats --no-stream (the seed's way)"),
        "webhook": ("webhook", None, "none in Debian: fsync-bound ceiling"),
    }

    def skip(self, job, reason):
        collector, _, peer = self.JOB_INFO[job]
        self.results["jobs"][job] = {"skipped": reason, "peer": peer}
        self.supported[job] = False
        print(f"  {job}: skipped: {reason}", flush=True)

    def scrape_job(self, job):
        collector, metric, peer_name = self.JOB_INFO[job]
        sections = self.job_sections()
        if job not in sections:
            return self.skip(job, self.fx.podman_note)
        ok, _ = self.detect(job, metric, sections[job])
        if not ok:
            return self.skip(job, f"medic lacks collector {collector}")
        self.supported[job] = True
        config = self.medic_config({"collectors": sections[job]})
        runs = {"medic": [], "peer": []}
        for rep in range(self.args.repeats):
            for side in ("medic", "peer"):  # A B A B
                if side == "medic":
                    proc, port = self.start_medic(config)
                    url = f"http://{LOOPBACK}:{port}/metrics"
                else:
                    proc, url = self.start_peer(job)
                try:
                    runs[side].append(self.measure_scrape(proc, url))
                finally:
                    proc.stop()
            print(f"  {job} run {rep + 1}: medic p99 {runs['medic'][-1]['p99_ms']:.2f} ms, "
                  f"{runs['medic'][-1]['cpu_s_per_1000']:.3f} cpu-s/1000; peer p99 "
                  f"{runs['peer'][-1]['p99_ms']:.2f} ms, {runs['peer'][-1]['cpu_s_per_1000']:.3f}",
                  flush=True)
        self.results["jobs"][job] = {"peer": peer_name, "runs": runs}

    # ---- logs: 1M lines appended to a fresh file; wait until the counter is exact ----
    def logs_job(self):
        collector, metric, peer_name = self.JOB_INFO["logs"]
        corpus = os.path.join(self.work, "corpus.log")
        expected = write_log_corpus(corpus, self.args.log_lines)
        self.log_expected = expected
        probe_log = os.path.join(self.work, "detect.log")
        open(probe_log, "w").close()
        ok, _ = self.detect("logs", metric, self.logs_section(probe_log))
        if not ok:
            return self.skip("logs", f"medic lacks collector {collector}")
        self.supported["logs"] = True
        lines = self.args.log_lines
        runs = {"medic": [], "peer": []}
        for rep in range(self.args.repeats):
            for side in ("medic", "peer"):
                path = os.path.join(self.work, f"access-{rep}-{side}.log")
                open(path, "w").close()
                if side == "medic":
                    proc, port = self.start_medic(self.medic_config(
                        {"data_dir": self.work, "collectors": {**self.logs_section(path)}}))
                    url = f"http://{LOOPBACK}:{port}/metrics"
                    lines_metric, matches_metric = "medic_log_lines_total", "medic_log_matches_total"
                else:
                    proc, url = self.start_peer("logs", path)
                    lines_metric, matches_metric = "bench_log_lines_total", "bench_log_matches_total"
                try:
                    time.sleep(0.5)  # let the tailer open the (empty) file
                    cpu0, t0 = proc.cpu_seconds(), time.monotonic()
                    with open(corpus, "rb") as source, open(path, "ab") as sink:
                        shutil.copyfileobj(source, sink, 4 * MIB)
                    deadline = t0 + self.args.log_timeout
                    seen = 0
                    while time.monotonic() < deadline:
                        body = http_get(url)[1]
                        seen = sample_sum(body, lines_metric)
                        if seen >= lines:
                            break
                        time.sleep(0.1)
                    t1, cpu1 = time.monotonic(), proc.cpu_seconds()
                    body = http_get(url)[1]
                    got = {name: sample_sum(body, matches_metric, rule=name) for name in expected}
                    hwm, rss = proc.memory()
                    cpu = max(cpu1 - cpu0, 1 / CLOCK_TICKS)
                    runs[side].append({
                        "lines_seen": seen, "exact": seen == lines and got == expected,
                        "matches": got, "wall_s": t1 - t0, "cpu_s": cpu1 - cpu0,
                        "lines_per_cpu_s": seen / cpu, "lines_per_s": seen / (t1 - t0),
                        "peak_rss_mib": hwm / MIB, "steady_rss_mib": rss / MIB})
                finally:
                    proc.stop()
                    os.unlink(path)
            m, p = runs["medic"][-1], runs["peer"][-1]
            print(f"  logs run {rep + 1}: medic {m['lines_per_cpu_s']:,.0f} lines/cpu-s "
                  f"(exact {m['exact']}), mtail {p['lines_per_cpu_s']:,.0f} (exact {p['exact']})",
                  flush=True)
        self.results["jobs"]["logs"] = {"peer": peer_name, "expected_matches": expected,
                                        "lines": lines, "runs": runs}

    # ---- containers: medic's scrape vs `podman ps` + `podman stats` on the same engine ----
    def seed_scrape(self):
        started = time.monotonic()
        usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        for argv in (self.fx.podman_remote("ps", "--format", "json"),
                     self.fx.podman_remote("stats", "--no-stream", "--format", "json")):
            subprocess.run(argv, check=True, capture_output=True, env=self.fx.podman_env,
                           timeout=60)
        usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
        return time.monotonic() - started, cpu, usage1.ru_maxrss * 1024

    def containers_job(self):
        collector, metric, peer_name = self.JOB_INFO["containers"]
        sections = self.job_sections()
        if "containers" not in sections:
            return self.skip("containers", self.fx.podman_note)
        ok, body = self.detect("containers", metric, sections["containers"])
        if not ok:
            return self.skip("containers", f"medic lacks collector {collector}")
        self.supported["containers"] = True
        seen = {l.get("name") for l, _ in samples(body, metric)}
        config = self.medic_config({"collectors": sections["containers"]})
        seconds = self.args.container_seconds
        runs = {"medic": [], "peer": []}
        for rep in range(self.args.repeats):
            for side in ("medic", "peer"):
                engine0 = self.fx.engine_cpu()
                if side == "medic":
                    proc, port = self.start_medic(config)
                    try:
                        url = f"http://{LOOPBACK}:{port}/metrics"
                        http_get(url)
                        engine0 = self.fx.engine_cpu()
                        result = self.measure_scrape(proc, url, connections=1, threads=1,
                                                     seconds=seconds)
                        result["engine_cpu_s_per_1000"] = (
                            (self.fx.engine_cpu() - engine0) /
                            max(result["scrapes_per_s"] * seconds, 1) * 1000)
                    finally:
                        proc.stop()
                else:
                    walls, cpus, peak = [], [], 0
                    started = time.monotonic()
                    while time.monotonic() - started < seconds or len(walls) < 3:
                        wall, cpu, maxrss = self.seed_scrape()
                        walls.append(wall)
                        cpus.append(cpu)
                        peak = max(peak, maxrss)
                    walls.sort()
                    result = {"p50_ms": statistics.median(walls) * 1000,
                              "p99_ms": walls[min(len(walls) - 1, int(0.99 * len(walls)))] * 1000,
                              "scrapes_per_s": len(walls) / (time.monotonic() - started),
                              "cpu_s_per_1000": sum(cpus) / len(cpus) * 1000,
                              "engine_cpu_s_per_1000": (self.fx.engine_cpu() - engine0) /
                              len(walls) * 1000,
                              "peak_rss_mib": peak / MIB, "steady_rss_mib": 0.0}
                runs[side].append(result)
            print(f"  containers run {rep + 1}: medic p99 {runs['medic'][-1]['p99_ms']:.0f} ms "
                  f"{runs['medic'][-1]['cpu_s_per_1000']:.2f} cpu-s/1000; seed p99 "
                  f"{runs['peer'][-1]['p99_ms']:.0f} ms {runs['peer'][-1]['cpu_s_per_1000']:.2f}",
                  flush=True)
        self.results["jobs"]["containers"] = {"peer": peer_name, "containers_seen": len(seen),
                                              "runs": runs}

    # ---- webhook: wrk posting 5-alert payloads with the bearer token ----
    def webhook_document(self, data_dir, token_file):
        return {"data_dir": data_dir, "journal": {"path": os.path.join(data_dir, "journal.db")},
                "webhook": {"path": "/webhook", "bearer_token_file": token_file},
                "collectors": {"process": True}}

    def webhook_job(self):
        token = "bench-" + os.urandom(12).hex()
        token_file = os.path.join(self.work, "webhook-token")
        with open(token_file, "w") as out:
            out.write(token + "\n")
        os.chmod(token_file, 0o600)
        self.webhook_token_file = token_file
        data_dir = os.path.join(self.work, "webhook-detect")
        os.makedirs(data_dir)
        proc, port = self.start_medic(self.medic_config(self.webhook_document(data_dir, token_file)))
        try:
            body = alertmanager_payload().replace("@@FP@@", "00d3")
            status, text = http_post(f"http://{LOOPBACK}:{port}/webhook", body.encode(),
                                     {"Content-Type": "application/json",
                                      "Authorization": f"Bearer {token}"})
        finally:
            proc.stop()
        if status != 200:
            return self.skip("webhook", f"medic lacks the webhook receiver (POST /webhook: {status})")
        self.supported["webhook"] = True
        runs = {"medic": [], "peer": []}
        for rep in range(self.args.repeats):
            data_dir = os.path.join(self.work, f"webhook-{rep}")
            os.makedirs(data_dir)
            ceiling = fsync_ceiling(data_dir, 1.5)
            lua = os.path.join(self.work, f"webhook-{rep}.lua")
            with open(lua, "w") as out:
                out.write(webhook_lua("/webhook", token, rep + 1))
            proc, port = self.start_medic(self.medic_config(self.webhook_document(data_dir, token_file)))
            try:
                cpu0 = proc.cpu_seconds()
                wrk = run_wrk(f"http://{LOOPBACK}:{port}/webhook", self.args.webhook_seconds, 4, 2,
                              lua)
                cpu1 = proc.cpu_seconds()
                hwm, rss = proc.memory()
                ok = wrk["requests"] - wrk["status_errors"] - wrk["socket_errors"]
                seconds = wrk["duration_us"] / 1e6
                runs["medic"].append({"notifications_per_s": ok / seconds,
                                      "p50_ms": wrk["p50_us"] / 1000, "p99_ms": wrk["p99_us"] / 1000,
                                      "errors": wrk["requests"] - ok,
                                      "cpu_s_per_1000": (cpu1 - cpu0) / max(ok, 1) * 1000,
                                      "peak_rss_mib": hwm / MIB, "steady_rss_mib": rss / MIB})
                runs["peer"].append({"notifications_per_s": ceiling})
            finally:
                proc.stop()
                shutil.rmtree(data_dir, ignore_errors=True)
            print(f"  webhook run {rep + 1}: {runs['medic'][-1]['notifications_per_s']:,.0f}/s "
                  f"p99 {runs['medic'][-1]['p99_ms']:.1f} ms; serial fsync ceiling {ceiling:,.0f}/s",
                  flush=True)
        self.results["jobs"]["webhook"] = {"peer": "serial fdatasync ceiling (no Debian peer)",
                                           "runs": runs}

    # ---- medic with every supported collector vs the sum of the peers for the same ground ----
    def all_on_sections(self, log_path):
        sections = {}
        for job, section in self.job_sections().items():
            if self.supported.get(job):
                sections.update(section)
        if self.supported.get("logs"):
            sections.update(self.logs_section(log_path))
        return sections

    def all_on_job(self):
        log_path = os.path.join(self.work, "all-on.log")
        write_log_corpus(log_path, 10000)
        sections = self.all_on_sections(log_path)
        covered = [job for job in ("disk", "cache", "cert", "logs", "containers")
                   if self.supported.get(job)]
        document = {"data_dir": os.path.join(self.work, "all-on-data"), "collectors": sections}
        os.makedirs(document["data_dir"], exist_ok=True)
        if self.supported.get("webhook"):
            document.update(self.webhook_document(document["data_dir"], self.webhook_token_file))
            document["collectors"] = sections
        config = self.medic_config(document)
        self.all_on_config = config
        seconds = self.args.all_on_seconds
        runs = {"medic": [], "peer": []}
        for rep in range(self.args.repeats):
            # A: medic alone.
            proc, port = self.start_medic(config)
            try:
                url = f"http://{LOOPBACK}:{port}/metrics"
                self.settle_logs(url, "medic_log_lines_total", 10000, "logs" in covered)
                http_get(url)
                cpu0, t0, scrapes = proc.cpu_seconds(), time.monotonic(), 0
                while time.monotonic() - t0 < seconds or scrapes < 3:
                    http_get(url, timeout=30)
                    scrapes += 1
                cpu1 = proc.cpu_seconds()
                hwm, rss = proc.memory()
                runs["medic"].append({"cpu_s_per_1000": (cpu1 - cpu0) / scrapes * 1000,
                                      "peak_rss_mib": hwm / MIB, "steady_rss_mib": rss / MIB,
                                      "processes": 1})
            finally:
                proc.stop()
            # B: every peer covering the same ground.
            peers = []
            try:
                for job in covered:
                    if job == "containers":
                        continue
                    peers.append(self.start_peer(job, log_path if job == "logs" else None))
                # No settling for mtail: it starts at the end of a log that already exists (it
                # tails), so it never counts these 10,000 lines; waiting for them cost 30 s a run.
                for _, url in peers:
                    http_get(url)
                cpu0 = sum(p.cpu_seconds() for p, _ in peers)
                client_cpu, client_peak = 0.0, 0
                t0, scrapes = time.monotonic(), 0
                while time.monotonic() - t0 < seconds or scrapes < 3:
                    scrapes += 1
                    for _, url in peers:
                        http_get(url, timeout=30)
                    if "containers" in covered:
                        _, cpu, maxrss = self.seed_scrape()
                        client_cpu += cpu
                        client_peak = max(client_peak, maxrss)
                cpu1 = sum(p.cpu_seconds() for p, _ in peers)
                memory = [p.memory() for p, _ in peers]
                runs["peer"].append({
                    "cpu_s_per_1000": (cpu1 - cpu0 + client_cpu) / scrapes * 1000,
                    "peak_rss_mib": (sum(h for h, _ in memory) + client_peak) / MIB,
                    "steady_rss_mib": sum(r for _, r in memory) / MIB,
                    "processes": len(peers)})
            finally:
                for proc, _ in peers:
                    proc.stop()
            print(f"  all-on run {rep + 1}: medic {runs['medic'][-1]['steady_rss_mib']:.1f} MiB "
                  f"{runs['medic'][-1]['cpu_s_per_1000']:.2f} cpu-s/1000; peers "
                  f"{runs['peer'][-1]['steady_rss_mib']:.1f} MiB "
                  f"{runs['peer'][-1]['cpu_s_per_1000']:.2f}", flush=True)
        self.results["jobs"]["all"] = {"peer": "sum of peers: " + ", ".join(
            self.JOB_INFO[j][2].split(" (")[0] for j in covered), "covered": covered, "runs": runs}

    def settle_logs(self, url, metric, lines, enabled):
        if not enabled:
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if sample_sum(http_get(url)[1], metric) >= lines:
                return
            time.sleep(0.1)

    # ---- idle: scraped every 15 s for the whole bench ----
    def start_idle(self, name, config):
        proc, port = self.start_medic(config, name=name)
        url = f"http://{LOOPBACK}:{port}/metrics"
        http_get(url)
        watch = {"proc": proc, "url": url, "cpu0": proc.cpu_seconds(), "t0": time.monotonic(),
                 "scrapes": 0, "stop": threading.Event()}

        def scraper():
            while not watch["stop"].wait(self.args.idle_interval):
                try:
                    http_get(url, timeout=30)
                    watch["scrapes"] += 1
                except OSError:
                    pass

        watch["thread"] = threading.Thread(target=scraper, daemon=True)
        watch["thread"].start()
        return watch

    def finish_idle(self, watch):
        watch["stop"].set()
        watch["thread"].join()
        proc = watch["proc"]
        cpu = proc.cpu_seconds() - watch["cpu0"]
        wall = time.monotonic() - watch["t0"]
        hwm, rss = proc.memory()
        anon, pss = proc.anon_and_pss()
        threads = proc.threads()
        proc.stop()
        return {"cpu_percent_of_core": cpu / wall * 100, "cpu_s": cpu, "wall_s": wall,
                "scrapes": watch["scrapes"], "peak_rss_mib": hwm / MIB,
                "steady_rss_mib": rss / MIB, "rss_anon_mib": anon / MIB, "pss_mib": pss / MIB,
                "threads": threads}

    # ---- driver ----
    def timed(self, phase, function, *args):
        """Runs one phase and records its wall time: the whole bench has a 10-minute budget."""
        started = time.monotonic()
        try:
            return function(*args)
        finally:
            elapsed = time.monotonic() - started
            self.results.setdefault("phase_seconds", {})[phase] = elapsed
            print(f"  [{phase}: {elapsed:.0f} s]", flush=True)

    def run(self):
        started = time.monotonic()
        print(f"medic bench: {self.args.medic}, {self.args.repeats} interleaved runs per job, "
              f"work dir {self.work}", flush=True)
        idle_default = self.start_idle("medic-idle-default", None)
        self.fx.start_redis()
        self.fx.start_tls()
        print("fixtures: redis, TLS endpoint ready; starting podman engine and containers",
              flush=True)
        have_podman = self.timed("podman setup", self.fx.start_podman, self.args.containers)
        if have_podman:
            print(f"fixtures: {len(self.fx.containers)} containers running", flush=True)
        else:
            print(f"fixtures: no containers: {self.fx.podman_note}", flush=True)
        for job in ("disk", "cache", "cert"):
            self.timed(job, self.scrape_job, job)
        self.timed("logs", self.logs_job)
        self.timed("containers", self.containers_job)
        self.timed("webhook", self.webhook_job)
        # Idle with every collector on (and the containers) runs while the all-on comparison does.
        log_path = os.path.join(self.work, "idle-all-on.log")
        write_log_corpus(log_path, 1000)
        idle_document = {"data_dir": os.path.join(self.work, "idle-data"),
                         "collectors": self.all_on_sections(log_path)}
        os.makedirs(idle_document["data_dir"])
        if self.supported.get("webhook"):
            idle_document.update(self.webhook_document(idle_document["data_dir"],
                                                       self.webhook_token_file))
            idle_document["collectors"] = self.all_on_sections(log_path)
        idle_all = self.start_idle("medic-idle-all", self.medic_config(idle_document))
        self.timed("all-on", self.all_on_job)
        remaining = self.args.idle_min_seconds - (time.monotonic() - idle_all["t0"])
        if remaining > 0:
            time.sleep(remaining)
        self.results["footprint"]["idle_default"] = self.finish_idle(idle_default)
        self.results["footprint"]["idle_all_on"] = self.finish_idle(idle_all)
        self.results["footprint"]["idle_all_on"]["collectors"] = sorted(idle_document["collectors"])
        self.results["footprint"]["containers"] = len(self.fx.containers)
        self.results["wall_seconds"] = time.monotonic() - started

    def cleanup(self):
        stop_all()
        try:
            self.fx.stop_podman()
        finally:
            stop_all()
            if not self.args.keep:
                shutil.rmtree(self.work, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Reporting.


def fmt(value, unit=""):
    if value is None:
        return "-"
    magnitude = abs(value)
    if magnitude >= 10000:
        text = f"{value:,.0f}"
    elif magnitude >= 100:
        text = f"{value:.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    elif magnitude >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    return text + unit


def cell(stat):
    if stat is None:
        return "-"
    return f"{fmt(stat['median'])} [{fmt(stat['min'])}-{fmt(stat['max'])}]"


# (key, label, better): figures per job row; better says which way is good.
SCRAPE_ROWS = [("p50_ms", "scrape p50 ms"), ("p99_ms", "scrape p99 ms"),
               ("cpu_s_per_1000", "CPU s / 1000 scrapes"), ("peak_rss_mib", "peak RSS MiB"),
               ("steady_rss_mib", "steady RSS MiB")]
ROWS = {
    "disk": SCRAPE_ROWS, "cache": SCRAPE_ROWS, "cert": SCRAPE_ROWS,
    "containers": SCRAPE_ROWS + [("engine_cpu_s_per_1000", "engine CPU s / 1000 scrapes")],
    "logs": [("lines_per_cpu_s", "log lines / CPU-second"), ("lines_per_s", "lines/s (wall, to exact)"),
             ("cpu_s", "CPU s for the corpus"), ("peak_rss_mib", "peak RSS MiB"),
             ("steady_rss_mib", "steady RSS MiB")],
    "webhook": [("notifications_per_s", "notifications/s (durable)"), ("p50_ms", "p50 ms"),
                ("p99_ms", "p99 ms"), ("cpu_s_per_1000", "CPU s / 1000 notifications"),
                ("peak_rss_mib", "peak RSS MiB")],
    "all": [("steady_rss_mib", "steady RSS MiB (sum)"), ("peak_rss_mib", "peak RSS MiB (sum)"),
            ("cpu_s_per_1000", "CPU s / 1000 full scrapes")],
}


def tabulate(results):
    lines = []
    header = ("job", "figure", "medic median [min-max]", "peer median [min-max]", "ratio m/p")
    table = [header]
    for job in ("disk", "cache", "cert", "logs", "containers", "webhook", "all"):
        entry = results["jobs"].get(job)
        if entry is None:
            continue
        if "skipped" in entry:
            table.append((job, f"skipped: {entry['skipped']}", "", "", ""))
            continue
        table.append((f"{job}", f"peer: {entry['peer']}", "", "", ""))
        runs = entry["runs"]
        for key, label in ROWS[job]:
            medic = summary([r.get(key) for r in runs["medic"]])
            peer = summary([r.get(key) for r in runs["peer"]])
            ratios = summary([m[key] / p[key] for m, p in zip(runs["medic"], runs["peer"])
                              if m.get(key) is not None and p.get(key)])
            entry.setdefault("summary", {})[key] = {"medic": medic, "peer": peer, "ratio": ratios}
            table.append(("", label, cell(medic), cell(peer),
                          f"{fmt(ratios['median'])}x" if ratios else "-"))
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for n, row in enumerate(table):
        lines.append("  ".join(text.ljust(widths[i]) for i, text in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def bars(results):
    fp = results["footprint"]
    out = []

    def bar(name, ok, text):
        out.append(f"  [{'PASS' if ok else 'FAIL'}] {name}: {text}")
        results.setdefault("bars", {})[name] = {"pass": ok, "text": text}

    idle = fp.get("idle_default")
    if idle:
        bar("idle RssAnon, default config < 3 MiB", idle["rss_anon_mib"] < 3,
            f"{idle['rss_anon_mib']:.2f} MiB anonymous, PSS {idle['pss_mib']:.1f} MiB, "
            f"{idle['threads']} threads")
        bar("idle total RSS, default config < 16 MiB (a ceiling against bloat)",
            idle["steady_rss_mib"] < 16,
            f"{idle['steady_rss_mib']:.1f} MiB steady, {idle['peak_rss_mib']:.1f} MiB peak")
        bar("idle CPU < 0.2% of a core at a 15 s scrape interval (default config)",
            idle["cpu_percent_of_core"] < 0.2,
            f"{idle['cpu_percent_of_core']:.3f}% ({idle['cpu_s']:.2f} CPU s over "
            f"{idle['wall_s']:.0f} s, {idle['scrapes']} scrapes)")
    allon = fp.get("idle_all_on")
    if allon:
        bar(f"idle RssAnon, every collector on + {fp.get('containers', 0)} containers < 12 MiB",
            allon["rss_anon_mib"] < 12,
            f"{allon['rss_anon_mib']:.2f} MiB anonymous, PSS {allon['pss_mib']:.1f} MiB, "
            f"{allon['threads']} threads; collectors {', '.join(allon['collectors'])}")
        bar(f"idle total RSS, every collector on + {fp.get('containers', 0)} containers < 28 MiB",
            allon["steady_rss_mib"] < 28,
            f"{allon['steady_rss_mib']:.1f} MiB steady, {allon['peak_rss_mib']:.1f} MiB peak")
        bar("idle CPU < 0.2% of a core at 15 s, every collector on",
            allon["cpu_percent_of_core"] < 0.2,
            f"{allon['cpu_percent_of_core']:.3f}% ({allon['cpu_s']:.2f} CPU s over "
            f"{allon['wall_s']:.0f} s, {allon['scrapes']} scrapes)")
    for job in ("disk", "cache", "cert", "containers", "all"):
        entry = results["jobs"].get(job, {})
        ratio = entry.get("summary", {}).get("cpu_s_per_1000", {}).get("ratio")
        if ratio:
            what = "sum of peers" if job == "all" else entry["peer"]
            bar(f"CPU per scrape below {what} ({job})", ratio["median"] < 1,
                f"ratio {ratio['median']:.2f} [{ratio['min']:.2f}-{ratio['max']:.2f}]")
    logs = results["jobs"].get("logs", {})
    ratio = logs.get("summary", {}).get("lines_per_cpu_s")
    if ratio:
        bar("logs: >= 3x mtail's lines per CPU-second", ratio["ratio"]["median"] >= 3,
            f"{ratio['ratio']['median']:.2f}x")
        bar("logs: >= 1,000,000 lines per CPU-second, five rules", ratio["medic"]["median"] >= 1e6,
            f"{ratio['medic']['median']:,.0f}")
        exact = all(r["exact"] for r in logs["runs"]["medic"])
        bar("logs: medic's counters exact", exact, "every run" if exact else "not in every run")
    hook = results["jobs"].get("webhook", {}).get("summary")
    if hook:
        bar(">= 2,000 notifications/s durable", hook["notifications_per_s"]["medic"]["median"] >= 2000,
            f"{hook['notifications_per_s']['medic']['median']:,.0f}/s")
        bar("webhook p99 < 20 ms", hook["p99_ms"]["medic"]["median"] < 20,
            f"{hook['p99_ms']['medic']['median']:.1f} ms")
    cont = results["jobs"].get("containers", {}).get("summary")
    if cont:
        bar("containers: p99 < 100 ms", cont["p99_ms"]["medic"]["median"] < 100,
            f"{cont['p99_ms']['medic']['median']:.0f} ms")
        bar("containers: < 20 ms CPU per scrape", cont["cpu_s_per_1000"]["medic"]["median"] < 20,
            f"{cont['cpu_s_per_1000']['medic']['median']:.1f} ms")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    env = os.environ.get
    parser.add_argument("--medic", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--repeats", type=int, default=int(env("BENCH_REPEATS", "5")))
    parser.add_argument("--seconds", type=int, default=int(env("BENCH_SECONDS", "3")))
    parser.add_argument("--container-seconds", type=int, default=int(env("BENCH_CONTAINER_SECONDS", "4")))
    parser.add_argument("--webhook-seconds", type=int, default=int(env("BENCH_WEBHOOK_SECONDS", "5")))
    parser.add_argument("--log-lines", type=int, default=int(env("BENCH_LOG_LINES", "100000")))
    parser.add_argument("--log-timeout", type=float, default=120)
    parser.add_argument("--containers", type=int, default=int(env("BENCH_CONTAINERS", "50")))
    parser.add_argument("--all-on-seconds", type=float, default=float(env("BENCH_ALL_ON_SECONDS", "4")))
    parser.add_argument("--idle-interval", type=float, default=15.0)
    parser.add_argument("--idle-min-seconds", type=float, default=float(env("BENCH_IDLE_SECONDS", "60")))
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--out", default=None, help="JSON output (default bench/results/)")
    args = parser.parse_args()

    bench = Bench(args)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda n, f: (_ for _ in ()).throw(KeyboardInterrupt()))
    failed = None
    try:
        bench.run()
    except BaseException as error:  # report what we have, always clean up
        failed = error
        import traceback
        traceback.print_exc()
    finally:
        bench.cleanup()
    results = bench.results
    results["machine"] = {"cpus": os.cpu_count(), "kernel": os.uname().release,
                          "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    table = tabulate(results)
    footprint = bars(results)
    print()
    print(table)
    print()
    print("footprint and targets:")
    print(footprint)
    out = args.out or os.path.join(args.root, "bench", "results",
                                   time.strftime("bench-%Y%m%dT%H%M%SZ.json", time.gmtime()))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    results["table"] = table
    with open(out, "w") as sink:
        json.dump(results, sink, indent=1, default=str)
    print(f"\nJSON: {out}; wall {results.get('wall_seconds', 0):.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
