#!/usr/bin/env python3
"""Acceptance test of issue 19: community dashboards and alert rules against medic and the peers.

Every PromQL expression kept under tests/fixtures/community/ (taken from public dashboards and
alert collections, one file per artefact with its repository, path and commit) is evaluated by
two real Prometheus servers on loopback: one scrapes medic, the other the peers medic replaces
(Debian's prometheus-node-exporter with only its filesystem collector,
prometheus-blackbox-exporter, prometheus-redis-exporter). Both sides watch the same targets: a
real redis-server with keys, TTLs and commands run, an HTTP endpoint, an `openssl s_server` TLS
endpoint (probed over HTTPS and as a bare TLS connection), a refused port, the root filesystem
and a tmpfs, and a container on the podman engine (medic only: cAdvisor is not in Debian).

The probe and Redis jobs are written the way blackbox_exporter and redis_exporter jobs are:
`/probe?target=&module=` and `/scrape?target=redis://…` with `__param_target` relabelled into
`instance`, identical on both sides but for the address scraped.

Before evaluation Grafana variables are substituted (`$__rate_interval` and friends by short
windows, dashboard variables by `.*`) and `job`/`instance` matchers are dropped. An alert's
expression is evaluated twice: as written, and with every filtering comparison turned into a
`bool` comparison, which answers whenever the series the alert watches exist (on a healthy
system most alerts answer nothing as written, on both sides, which would prove nothing).

The test fails when an expression returns data from the peer and none from medic, when a
container expression returns nothing from medic, and when an expression the fixture does not
mark `peer_empty` returns nothing from the peer (the peer side is the yardstick: if it breaks,
the comparison must not pass vacuously). Entries marked `skip` need what no peer here produces
and are listed with their reason. Per family it prints how many work with medic against how many
work with the peer.

Usage (ctest runs it with the built binary; MEDIC_TEST_DOCKER_HOST comes from
scripts/run-tests.sh, otherwise a private podman engine is started and stopped here):
  python3 tests/integration/community_dashboards_test.py --medic build/dev/medic
"""

import argparse
import collections
import ctypes
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRAPE_INTERVAL = "1s"
# What Grafana's built-in interval variables become. The windows must hold at least two
# samples at SCRAPE_INTERVAL by the time queries run (see MIN_SAMPLES).
BUILTIN_VARIABLES = {"__rate_interval": "30s", "__interval": "15s", "__range": "1m",
                     "__range_s": "60", "__interval_ms": "15000"}
MIN_SAMPLES = 4
# The probe jobs scrape less often: blackbox_exporter (and medic) give a probe the scrape
# timeout less half a second, and a TLS probe must not time out on a loaded machine.
PROBE_SCRAPE_INTERVAL = "2s"
DROPPED_LABELS = {"job", "instance"}
BUSYBOX_IMAGE = "localhost/medic-busybox:latest"
FAMILY_PEERS = {"filesystem": "node_exporter", "blackbox": "blackbox_exporter",
                "redis": "redis_exporter", "containers": None}


# ------------------------------------------------------------------ PromQL rewriting

_STRING = r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`'
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(' + _STRING + r')\s*(,|$)')
_VARIABLE = re.compile(r'\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)')


class RewriteError(ValueError):
    pass


def _string_end(text, start):
    """Index just past the string literal opening at text[start]."""
    quote = text[start]
    i = start + 1
    while i < len(text):
        if text[i] == "\\" and quote != "`":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        i += 1
    raise RewriteError("unterminated string in: " + text)


def _substitute_variables(text, variables, default=".*"):
    """Grafana's built-in intervals, the fixture's variables, then `default` (None: keep)."""
    def value(match):
        name = match.group(1) or match.group(2) or match.group(3)
        if name in BUILTIN_VARIABLES:
            return BUILTIN_VARIABLES[name]
        if name in variables:
            return variables[name]
        return match.group(0) if default is None else default
    return _VARIABLE.sub(value, text)


def _rewrite_matchers(inner, variables):
    """The matchers of one selector without job/instance, variables substituted."""
    kept = []
    position = 0
    while position < len(inner):
        if not inner[position:].strip():
            break
        match = _MATCHER.match(inner, position)
        if not match:
            raise RewriteError("cannot parse label matchers {" + inner + "}")
        label, op, literal = match.group(1), match.group(2), match.group(3)
        position = match.end()
        if label in DROPPED_LABELS:
            continue
        quote, value = literal[0], literal[1:-1]
        if _VARIABLE.search(value):
            value = _substitute_variables(value, variables)
            # A dashboard variable stands for whatever the user picked; ".*" (Grafana's "All")
            # only matches as a regular expression.
            op = {"=": "=~", "!=": "!~"}.get(op, op)
        kept.append(label + op + quote + value + quote)
    return ",".join(kept)


def rewrite(expr, variables):
    """expr with Grafana variables substituted and job/instance matchers dropped."""
    out = []
    i = 0
    while i < len(expr):
        c = expr[i]
        if c in "\"'`":
            end = _string_end(expr, i)
            out.append(expr[i:end])
            i = end
        elif c == "{":
            j = i + 1
            while j < len(expr) and expr[j] != "}":
                j = _string_end(expr, j) if expr[j] in "\"'`" else j + 1
            if j >= len(expr):
                raise RewriteError("unbalanced { in: " + expr)
            out.append("{" + _rewrite_matchers(expr[i + 1:j], variables) + "}")
            i = j + 1
        elif c == "[":
            j = expr.index("]", i)
            out.append(_substitute_variables(expr[i:j + 1], variables, default=None))
            i = j + 1
        else:
            out.append(c)
            i += 1
    result = "".join(out)
    leftover = _VARIABLE.search(_strip_strings(result))
    if leftover:
        raise RewriteError("variable " + leftover.group(0) + " left outside a matcher in: " + result)
    return result


def _strip_strings(expr):
    out, i = [], 0
    while i < len(expr):
        if expr[i] in "\"'`":
            i = _string_end(expr, i)
            out.append('""')
        else:
            out.append(expr[i])
            i += 1
    return "".join(out)


_COMPARISON = re.compile(r"==|!=|>=|<=|>|<")


def boolify(expr):
    """Every filtering comparison of expr (outside selectors and strings) as a bool comparison."""
    out = []
    i = 0
    depth_brace = 0
    while i < len(expr):
        c = expr[i]
        if c in "\"'`":
            end = _string_end(expr, i)
            out.append(expr[i:end])
            i = end
            continue
        if c == "{":
            depth_brace += 1
        elif c == "}":
            depth_brace -= 1
        if depth_brace == 0:
            match = _COMPARISON.match(expr, i)
            if match:
                out.append(match.group(0))
                i = match.end()
                if not re.match(r"\s*bool\b", expr[i:]):
                    out.append(" bool")
                continue
        out.append(c)
        i += 1
    return "".join(out)


# ------------------------------------------------------------------ processes


def _die_with_parent():
    """In the child: SIGTERM when this test dies, even by SIGKILL (ctest's timeout)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Processes:
    """Child processes started here, each stopped by its PID (SIGTERM, then SIGKILL)."""

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.children = []

    def start(self, name, argv, **kwargs):
        log = open(os.path.join(self.log_dir, name + ".log"), "wb")
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent,
                                   **kwargs)
        log.close()
        self.children.append((name, process))
        return process

    def log(self, name):
        try:
            with open(os.path.join(self.log_dir, name + ".log"), errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def check_running(self, name, process):
        if process.poll() is not None:
            raise SystemExit("community: " + name + " exited with " + str(process.returncode) +
                             "; its log:\n" + self.log(name))

    def stop_all(self):
        for name, process in reversed(self.children):
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 10
        for name, process in reversed(self.children):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.children.clear()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        return 0, str(error)


def wait_for(description, condition, timeout, processes=None, watched=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in watched:
            processes.check_running(name, process)
        if condition():
            return
        time.sleep(0.1)
    raise SystemExit("community: timed out after " + str(timeout) + "s waiting for " + description)


def wait_for_port(processes, name, process, port, timeout=30):
    def listening():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False
    wait_for(name + " on 127.0.0.1:" + str(port), listening, timeout, processes,
             [(name, process)])


def all_mountpoints_but(kept):
    """A Go (RE2) regular expression matching every absolute path except those in `kept`
    ("/" among them): node_exporter's --collector.filesystem.mount-points-exclude, so that it
    watches exactly the mountpoints medic is given. RE2 has no lookahead; a path other than
    each kept one is one that leaves it at some character, stops short, or goes on."""
    assert "/" in kept
    branches = []
    for path in kept:
        if path == "/":
            continue
        for i in range(1, len(path)):
            branches.append(re.escape(path[:i]) + "[^" + re.escape(path[i]) + "]")
            if i > 1:
                branches.append(re.escape(path[:i]) + "$")
        branches.append(re.escape(path) + ".")
    if not branches:
        return "^/."
    # A path is excluded when it differs from every kept path other than "/"; with one such
    # path (the tmpfs) that is its branches; "/" itself matches none of them.
    if len([p for p in kept if p != "/"]) > 1:
        raise ValueError("one mountpoint besides / is supported")
    return "^(?:" + "|".join(branches) + ")"


def run(argv, timeout=60, **kwargs):
    if "input" not in kwargs:
        kwargs["stdin"] = subprocess.DEVNULL
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            timeout=timeout, **kwargs)
    if result.returncode != 0:
        raise SystemExit("community: " + " ".join(argv[:4]) + "… failed (" +
                         str(result.returncode) + "):\n" + result.stdout.decode(errors="replace"))
    return result.stdout.decode(errors="replace")


# ------------------------------------------------------------------ the targets


class Targets:
    """The servers both sides watch, started on free loopback ports."""

    def __init__(self, processes, work):
        self.processes = processes
        self.work = work

    def start_redis(self):
        self.redis_port = free_port()
        process = self.processes.start("redis", [
            "redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port), "--save", "",
            "--appendonly", "no", "--dir", self.work, "--maxmemory", "64mb",
            "--maxmemory-policy", "allkeys-lru"])
        wait_for_port(self.processes, "redis", process, self.redis_port)
        cli = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.redis_port)]
        wait_for("redis PING", lambda: subprocess.run(
            cli + ["ping"], capture_output=True).stdout.strip() == b"PONG", 10)
        # Keys with and without TTLs in two databases, one already expired, hits and misses,
        # a list: what the Redis dashboards' keyspace, expiry and command panels show.
        commands = ["SET persistent:%d value" % key for key in range(20)]
        commands += ["SET session:%d value EX 3600" % key for key in range(10)]
        commands += ["SET short-lived value PX 1", "LPUSH queue a b c", "INCR counter"]
        commands += ["GET persistent:%d" % key for key in range(5)]
        commands += ["GET missing:%d" % key for key in range(5)]
        commands += ["SELECT 1", "SET other-db value EX 600"]
        run(cli, input=("\n".join(commands) + "\n").encode())

    def start_http(self):
        self.http_port = free_port()
        root = os.path.join(self.work, "www")
        os.makedirs(root)
        with open(os.path.join(root, "index.html"), "w") as f:
            f.write("ok\n")
        process = self.processes.start("http", [
            sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", root,
            str(self.http_port)])
        wait_for_port(self.processes, "http", process, self.http_port)
        self.http_url = "http://127.0.0.1:" + str(self.http_port) + "/"
        self.refused_url = "http://127.0.0.1:" + str(free_port()) + "/"

    def start_tls(self):
        self.certificate = os.path.join(self.work, "tls.pem")
        key = os.path.join(self.work, "tls.key")
        # ECDSA: a handshake costs a fraction of an RSA one, so a loaded CI machine does not
        # fail probes on time (four probers and medic's cert collector share one s_server).
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", key,
             "-out", self.certificate, "-days", "20", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        self.tls_port = free_port()
        process = self.processes.start("s_server", [
            "openssl", "s_server", "-accept", "127.0.0.1:" + str(self.tls_port),
            "-cert", self.certificate, "-key", key, "-www", "-quiet"])
        wait_for_port(self.processes, "s_server", process, self.tls_port)
        self.https_url = "https://127.0.0.1:" + str(self.tls_port) + "/"
        self.tls_address = "127.0.0.1:" + str(self.tls_port)

    def mount_tmpfs(self):
        """A tmpfs when this process may mount one (root in CI); None otherwise."""
        path = os.path.join(self.work, "tmpfs")
        os.makedirs(path)
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "medic-community",
                                 path], capture_output=True)
        if result.returncode != 0:
            print("community: no tmpfs (mount refused: " +
                  result.stderr.decode(errors="replace").strip() + "); the root filesystem only")
            return None
        self.tmpfs = path
        with open(os.path.join(path, "data"), "wb") as f:
            f.write(b"x" * 65536)
        return path

    def unmount_tmpfs(self):
        if getattr(self, "tmpfs", None):
            subprocess.run(["umount", "-l", self.tmpfs], capture_output=True)
            self.tmpfs = None


class Container:
    """A busybox container on the podman engine, removed (only it) at the end."""

    def __init__(self, docker_host):
        self.host = docker_host
        self.name = "medic-test-community-" + secrets.token_hex(6)
        self.podman(["run", "-d", "--name", self.name, "--network", "none", "--memory", "64m",
                     "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096",
                     "--label", "com.docker.compose.project=medic-community",
                     "--label", "com.docker.compose.service=app", BUSYBOX_IMAGE, "sh", "-c",
                     "trap 'exit 0' TERM; while true; do date > /tmp/now; sleep 1; done"])

    def podman(self, args):
        return run(["podman", "--remote", "--url", self.host] + args, timeout=120)

    def remove(self):
        subprocess.run(["podman", "--remote", "--url", self.host, "rm", "-f", "-t", "0",
                        self.name], capture_output=True, timeout=120)


# ------------------------------------------------------------------ the two sides


BLACKBOX_MODULES = """modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      tls_config:
        ca_file: {ca}
  tls_connect:
    prober: tcp
    timeout: 5s
    tcp:
      tls: true
      tls_config:
        ca_file: {ca}
"""


def prometheus_config(direct_jobs, probe_address, redis_address, targets):
    """Jobs written the way users write them for blackbox_exporter (/probe at probe_address) and
    redis_exporter (/scrape at redis_address); direct_jobs are plain /metrics jobs."""
    def relabel(address):
        return ("    relabel_configs:\n"
                "      - {source_labels: [__address__], target_label: __param_target}\n"
                "      - {source_labels: [__param_target], target_label: instance}\n"
                "      - {target_label: __address__, replacement: '" + address + "'}")
    lines = ["global: {scrape_interval: " + SCRAPE_INTERVAL + ", scrape_timeout: " +
             SCRAPE_INTERVAL + ", evaluation_interval: " + SCRAPE_INTERVAL + "}",
             "scrape_configs:"]
    for job, job_address in direct_jobs:
        lines.append("  - job_name: " + job)
        lines.append("    static_configs: [{targets: ['" + job_address + "']}]")
    probe_timing = ("    scrape_interval: " + PROBE_SCRAPE_INTERVAL + "\n    scrape_timeout: " +
                    PROBE_SCRAPE_INTERVAL + "\n")
    lines.append("  - job_name: blackbox-http\n    metrics_path: /probe\n" + probe_timing +
                 "    params: {module: [http_2xx]}\n    static_configs: [{targets: " +
                 json.dumps([targets.http_url, targets.https_url, targets.refused_url]) + "}]")
    lines.append(relabel(probe_address))
    lines.append("  - job_name: blackbox-tls\n    metrics_path: /probe\n" + probe_timing +
                 "    params: {module: [tls_connect]}\n    static_configs: [{targets: " +
                 json.dumps([targets.tls_address]) + "}]")
    lines.append(relabel(probe_address))
    lines.append("  - job_name: redis-exporter-targets\n    metrics_path: /scrape\n"
                 "    static_configs: [{targets: " +
                 json.dumps(["redis://127.0.0.1:" + str(targets.redis_port)]) + "}]")
    lines.append(relabel(redis_address))
    return "\n".join(lines) + "\n"


class Prometheus:
    def __init__(self, processes, work, name, config):
        self.name = name
        directory = os.path.join(work, name)
        os.makedirs(directory)
        config_path = os.path.join(directory, "prometheus.yml")
        with open(config_path, "w") as f:
            f.write(config)
        run(["promtool", "check", "config", config_path])
        self.port = free_port()
        self.process = processes.start(name, [
            "prometheus", "--config.file=" + config_path,
            "--storage.tsdb.path=" + os.path.join(directory, "data"),
            "--web.listen-address=127.0.0.1:" + str(self.port), "--log.level=warn"])
        self.processes = processes
        wait_for(name + " ready", lambda: http_get(self.url("/-/ready"))[0] == 200, 60,
                 processes, [(name, self.process)])

    def url(self, path):
        return "http://127.0.0.1:" + str(self.port) + path

    def query(self, expr):
        status, body = http_get(self.url("/api/v1/query?" + urllib.parse.urlencode(
            {"query": expr})), timeout=30)
        try:
            answer = json.loads(body)
        except ValueError:
            return {"status": "error", "error": "HTTP " + str(status) + ": " + body[:300]}
        return answer

    def targets_down(self):
        answer = self.query("up == 0")
        return [s["metric"] for s in answer.get("data", {}).get("result", [])]


def has_data(answer):
    if answer.get("status") != "success":
        return False
    data = answer["data"]
    if data["resultType"] == "scalar":
        return not math.isnan(float(data["result"][1]))
    return len(data["result"]) > 0


def describe(answer):
    if answer.get("status") != "success":
        return "error: " + str(answer.get("error"))
    data = answer["data"]
    if data["resultType"] == "scalar":
        return "scalar " + data["result"][1]
    if not data["result"]:
        return "no data"
    shown = []
    for sample in data["result"][:2]:
        labels = ",".join(k + '="' + v + '"' for k, v in sorted(sample["metric"].items()))
        shown.append("{" + labels + "} " + sample["value"][1])
    more = len(data["result"]) - len(shown)
    return "; ".join(shown) + (" (+" + str(more) + " more)" if more > 0 else "")


# ------------------------------------------------------------------ fixtures and verdicts


def load_fixtures(directory):
    artefacts = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(directory, name)) as f:
            doc = json.load(f)
        for key in ("repository", "path", "commit"):
            if not doc.get("source", {}).get(key):
                raise SystemExit("community: " + name + ": source." + key + " is missing")
        if doc.get("artefact") not in ("dashboard", "alerts"):
            raise SystemExit("community: " + name + ": artefact must be dashboard or alerts")
        doc["file"] = name
        for entry in doc["entries"]:
            entry.setdefault("family", doc["family"])
            if entry["family"] not in FAMILY_PEERS:
                raise SystemExit("community: " + name + ": unknown family " + entry["family"])
        artefacts.append(doc)
    return artefacts


def judge(doc, entry, medic_side, peer_side):
    """(medic answers, peer answers, problems) for one fixture entry."""
    family = entry["family"]
    try:
        written = rewrite(entry["expr"], doc.get("variables", {}))
    except RewriteError as error:
        return False, False, [str(error)]
    # An alert is counted on its bool form (do the series it watches exist?); as written it
    # must still not answer from the peer alone.
    counted = boolify(written) if doc["artefact"] == "alerts" else written
    forms = [counted] + ([written] if counted != written else [])
    has_peer = FAMILY_PEERS[family] is not None
    problems = []
    medic_counted = peer_counted = False
    for form in forms:
        medic_answer = medic_side.query(form)
        peer_answer = peer_side.query(form) if has_peer else None
        medic_data = has_data(medic_answer)
        peer_data = has_data(peer_answer) if has_peer else True
        before = len(problems)
        for side, answer in (("medic", medic_answer), ("peer", peer_answer)):
            if answer is not None and answer.get("status") != "success":
                problems.append(side + "'s Prometheus refused the query")
        if has_peer and peer_data and not medic_data:
            problems.append("data from the peer, none from medic")
        if form is counted:
            if not has_peer and not medic_data:
                problems.append("no data from medic")
            medic_counted, peer_counted = medic_data, has_peer and peer_data
            if has_peer and not peer_data and not entry.get("peer_empty"):
                problems.append("no data from the peer either, and the fixture does not say "
                                "why (peer_empty): the peer side of the test is broken")
        if len(problems) > before:
            problems.append("evaluated: " + " ".join(form.split()) +
                            "\n      peer:  " + (describe(peer_answer) if has_peer
                                                  else "n/a (no peer)") +
                            "\n      medic: " + describe(medic_answer))
    return medic_counted, peer_counted, problems


def wait_for_fresh_scrapes(sides, scrapes=2):
    """Until every target on every side has been scraped `scrapes` times more."""
    def latest(side):
        answer = side.query("min(timestamp(up))")
        return float(answer["data"]["result"][0]["value"][1]) if has_data(answer) else 0.0
    marks = [(side, latest(side)) for side in sides]
    interval = max(float(PROBE_SCRAPE_INTERVAL[:-1]), float(SCRAPE_INTERVAL[:-1]))
    wait_for("fresh scrapes", lambda: all(latest(side) >= mark + scrapes * interval
                                          for side, mark in marks), 30)


def evaluate(artefacts, medic_side, peer_side):
    """Per family counters and the failures and skips (strings).

    An entry that fails is judged once more on fresh scrapes: a comparison at one instant must
    not fail on one probe that timed out on a loaded machine, and a missing metric stays
    missing."""
    counts = collections.defaultdict(collections.Counter)
    verdicts, skipped = [], []
    for doc in artefacts:
        for entry in doc["entries"]:
            counts[entry["family"]]["total"] += 1
            if entry.get("skip"):
                counts[entry["family"]]["skipped"] += 1
                skipped.append(entry["family"] + ": " + doc["file"] + ": " + entry["title"] +
                               " — " + entry["skip"])
                continue
            verdicts.append([doc, entry, judge(doc, entry, medic_side, peer_side)])
    if any(verdict[2][2] for verdict in verdicts):
        wait_for_fresh_scrapes((medic_side, peer_side))
        for verdict in verdicts:
            if verdict[2][2]:
                verdict[2] = judge(verdict[0], verdict[1], medic_side, peer_side)
    failures = []
    for doc, entry, (medic_data, peer_data, problems) in verdicts:
        counts[entry["family"]]["medic"] += medic_data
        counts[entry["family"]]["peer"] += peer_data
        if problems:
            failures.append(doc["file"] + ": " + entry["title"] + ":\n    " +
                            "\n    ".join(problems))
    return counts, failures, skipped


def lint_medic(medic_address, targets):
    """`promtool check metrics` on every exposition medic serves here, with every collector on:
    /metrics and the blackbox- and redis_exporter-style endpoints. Failures as strings."""
    paths = ["/metrics"]
    for module, target in (("http_2xx", targets.https_url), ("tls_connect", targets.tls_address)):
        paths.append("/probe?" + urllib.parse.urlencode({"target": target, "module": module}))
    paths.append("/scrape?" + urllib.parse.urlencode(
        {"target": "redis://127.0.0.1:" + str(targets.redis_port)}))
    failures = []
    for path in paths:
        status, body = http_get("http://" + medic_address + path, timeout=30)
        if status != 200:
            failures.append("medic: GET " + path + " answered " + str(status) + ": " + body[:200])
            continue
        check = subprocess.run(["promtool", "check", "metrics"], input=body.encode(),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        if check.returncode != 0 or check.stdout.strip():
            failures.append("medic: promtool check metrics on GET " + path + ":\n    " +
                            check.stdout.decode(errors="replace").strip().replace("\n", "\n    "))
    return failures


def report(counts, failures, skipped):
    print("community: skipped (need what no peer here produces):")
    for line in skipped:
        print("  " + line)
    print("community: per family, expressions that return data:")
    for family, peer in FAMILY_PEERS.items():
        c = counts.get(family)
        if not c:
            continue
        compared = c["total"] - c["skipped"]
        if peer:
            print("  %-10s %3d work with medic / %3d work with %s (%d compared, %d skipped)" %
                  (family, c["medic"], c["peer"], peer, compared, c["skipped"]))
        else:
            print("  %-10s %3d work with medic / %3d compared (no peer here: cAdvisor is not in "
                  "Debian; %d skipped)" % (family, c["medic"], compared, c["skipped"]))
    if failures:
        print("community: %d FAILED:" % len(failures))
        for line in failures:
            print("  " + line)


# ------------------------------------------------------------------ main


def write_medic_config(medic, template, values, path):
    """Writes medic's config; failures (strings) when medic refuses the blackbox modules.

    A medic without /probe modules (before issue 19) still runs the comparison, without them,
    so that the counts show where it stands; the refusal itself is a failure."""
    def check(config_values):
        with open(path, "w") as f:
            f.write(template.substitute(config_values))
        result = subprocess.run([medic, "--config.check=" + path], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, timeout=60)
        return result.returncode, result.stdout.decode(errors="replace").strip()
    code, refused = check(values)
    if code == 0:
        return []
    code, output = check(dict(values, modules=""))
    if code != 0:
        raise SystemExit("community: medic refused its config " + path + ":\n" + output)
    return ["medic refused the blackbox modules in its config (the comparison ran without "
            "them):\n    " + refused.replace("\n", "\n    ")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--medic", required=True, help="the medic binary")
    parser.add_argument("--fixtures", default=os.path.join(SOURCE_DIR, "tests/fixtures/community"))
    parser.add_argument("--medic-config", help="medic config template (default: medic-config.yml.in "
                        "in the fixtures directory)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = parser.parse_args()

    artefacts = load_fixtures(args.fixtures)
    template_path = args.medic_config or os.path.join(args.fixtures, "medic-config.yml.in")
    with open(template_path) as f:
        template = string.Template(f.read())

    work = tempfile.mkdtemp(prefix="medic-community-")
    processes = Processes(work)
    targets = Targets(processes, work)
    container = None
    private_podman = None
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    try:
        docker_host = os.environ.get("MEDIC_TEST_DOCKER_HOST")
        if not docker_host:
            private_podman = os.path.join(work, "podman")
            # Idle for two minutes, the engine exits by itself: nothing outlives a killed test.
            socket_path = run(["bash", os.path.join(SOURCE_DIR, "scripts/podman-env.sh"), "start",
                               private_podman], timeout=300,
                              env=dict(os.environ, MEDIC_PODMAN_IDLE_SECONDS="120"),
                              ).strip().splitlines()[-1]
            docker_host = "unix://" + socket_path
        container = Container(docker_host)

        targets.start_redis()
        targets.start_http()
        targets.start_tls()
        mountpoints = ["/"]
        if targets.mount_tmpfs():
            mountpoints.append(targets.tmpfs)
        modules = BLACKBOX_MODULES.format(ca=targets.certificate)

        # The peers.
        node_port, blackbox_port, redis_exporter_port = free_port(), free_port(), free_port()
        node = processes.start("node_exporter", [
            "prometheus-node-exporter", "--web.listen-address=127.0.0.1:" + str(node_port),
            "--collector.disable-defaults", "--collector.filesystem",
            # Exactly medic's mountpoints, whatever their type (a CI container's / is overlay,
            # which node_exporter leaves out by default).
            "--collector.filesystem.mount-points-exclude=" + all_mountpoints_but(mountpoints),
            "--collector.filesystem.fs-types-exclude=^$"])
        blackbox_config = os.path.join(work, "blackbox.yml")
        with open(blackbox_config, "w") as f:
            f.write(modules)
        blackbox = processes.start("blackbox_exporter", [
            "prometheus-blackbox-exporter", "--config.file=" + blackbox_config,
            "--web.listen-address=127.0.0.1:" + str(blackbox_port)])
        redis_exporter = processes.start("redis_exporter", [
            "prometheus-redis-exporter", "-web.listen-address", "127.0.0.1:" + str(redis_exporter_port),
            "-redis.addr", "redis://127.0.0.1:" + str(targets.redis_port)])
        for name, process, port in (("node_exporter", node, node_port),
                                    ("blackbox_exporter", blackbox, blackbox_port),
                                    ("redis_exporter", redis_exporter, redis_exporter_port)):
            wait_for_port(processes, name, process, port)

        # medic, on the same targets.
        medic_port = free_port()
        data_dir = os.path.join(work, "medic-data")
        os.makedirs(data_dir)
        backup_dir = os.path.join(work, "backups")
        os.makedirs(backup_dir)
        with open(os.path.join(backup_dir, "nightly.tar.gz"), "wb") as f:
            f.write(b"backup")
        log_file = os.path.join(work, "app.log")
        with open(log_file, "w") as f:
            f.write("GET /health 200\nauthentication failed for user bob from 127.0.0.2\n")
        medic_config = os.path.join(work, "medic.yml")
        values = dict(
            data_dir=data_dir, docker_host=docker_host, mountpoints=json.dumps(mountpoints),
            http_url=targets.http_url, container=container.name, tls_port=targets.tls_port,
            ca_file=targets.certificate, redis_port=targets.redis_port, modules=modules,
            backup_dir=backup_dir, log_file=log_file)
        config_failures = write_medic_config(args.medic, template, values, medic_config)
        medic = processes.start("medic", [
            args.medic, "--config.file=" + medic_config,
            "--web.listen-address=127.0.0.1:" + str(medic_port)])
        wait_for("medic ready (config: " + medic_config + ")",
                 lambda: http_get("http://127.0.0.1:" + str(medic_port) + "/-/ready")[0] == 200,
                 30, processes, [("medic", medic)])

        medic_address = "127.0.0.1:" + str(medic_port)
        medic_side = Prometheus(processes, work, "prometheus-medic", prometheus_config(
            [("medic", medic_address)], medic_address, medic_address, targets))
        peer_side = Prometheus(processes, work, "prometheus-peers", prometheus_config(
            [("node", "127.0.0.1:" + str(node_port)),
             ("redis-exporter", "127.0.0.1:" + str(redis_exporter_port))],
            "127.0.0.1:" + str(blackbox_port), "127.0.0.1:" + str(redis_exporter_port), targets))

        # Wait until every target has MIN_SAMPLES scrapes on both sides. A peer target must be up
        # (else the yardstick is broken); a medic target that is down is one of the failures.
        sides = (medic_side, peer_side)

        def enough_samples():
            if not has_data(peer_side.query("min(up) == 1")):
                return False
            return all(has_data(side.query("min(count_over_time(up[1m])) >= %d" % MIN_SAMPLES))
                       for side in sides)
        try:
            wait_for("%d scrapes of every target on both sides, every peer target up" %
                     MIN_SAMPLES, enough_samples, 60, processes,
                     [(name, p) for name, p in processes.children])
        except SystemExit:
            print("community: peer targets down: " + json.dumps(peer_side.targets_down()))
            raise
        down_failures = ["medic: target down in Prometheus: " + json.dumps(labels)
                         for labels in medic_side.targets_down()]

        counts, failures, skipped = evaluate(artefacts, medic_side, peer_side)
        failures = (config_failures + down_failures + lint_medic(medic_address, targets) +
                    failures)
        report(counts, failures, skipped)
        print("community: %.0fs" % (time.monotonic() - started))
        if failures:
            print("community: logs in " + work + (" (kept)" if args.keep else " (rerun with --keep "
                  "to keep them)"))
            return 1
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        processes.stop_all()
        if container:
            container.remove()
        targets.unmount_tmpfs()
        if private_podman:
            subprocess.run(["bash", os.path.join(SOURCE_DIR, "scripts/podman-env.sh"), "destroy",
                            private_podman], capture_output=True, timeout=120)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
