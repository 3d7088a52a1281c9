#!/usr/bin/env python3
"""Side-by-side log-counting benchmark: medic's logs collector vs Debian's mtail.

Appends N realistic access-log lines (10% matching one of the five default rules) to a file
each tool follows, waits until the tool's line counter is exact, and reports wall time, the
tool's CPU seconds (utime+stime from /proc) and lines per CPU-second. Tools run one after the
other so they do not compete for the two cores. Loopback only; every process started here is
stopped by PID.
"""
import os, random, re, signal, socket, subprocess, sys, tempfile, time, urllib.request

N = int(os.environ.get("LINES", "1000000"))
MEDIC = sys.argv[1]
TICK = os.sysconf("SC_CLK_TCK")

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK

def scrape(port):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    except Exception:
        return ""

def sample(text, pattern):
    m = re.search(pattern, text, re.M)
    return float(m.group(1)) if m else None

def generate(path):
    rnd = random.Random(42)
    paths = ["/", "/api/v1/reviews", "/api/v1/reviews/1234/comments", "/static/app.js",
             "/health", "/login", "/api/v1/repos/acme/widgets/pulls?page=2"]
    agents = ["Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
              "curl/7.88.1", "Prometheus/2.42.0", "GitHub-Hookshot/a1b2c3d"]
    special = [  # (rule, line template) — each matches exactly one default rule
        ("auth_failure", '{ip} - - [29/Nov/2026:03:{m:02d}:{s:02d} +0000] "POST /login HTTP/1.1" 401 19 "-" "{ua}" Unauthorized'),
        ("auth_failure", '{ip} - - [29/Nov/2026:03:{m:02d}:{s:02d} +0000] "GET /admin HTTP/1.1" 403 9 "-" "{ua}" Forbidden'),
        ("error", '2026-11-29T03:{m:02d}:{s:02d}Z ERROR review-bot: upstream returned 502 for {ip}'),
        ("critical", '2026-11-29T03:{m:02d}:{s:02d}Z CRITICAL review-bot: worker pool exhausted'),
        ("rate_limited", '2026-11-29T03:{m:02d}:{s:02d}Z WARN github client hit the rate limit, backing off'),
        ("timeout", '2026-11-29T03:{m:02d}:{s:02d}Z WARN request to redis timed out after 2s'),
    ]
    expected = {"auth_failure": 0, "error": 0, "critical": 0, "rate_limited": 0, "timeout": 0}
    out = []
    for i in range(N):
        ip = f"{rnd.randint(1, 223)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"
        m, s = (i // 60) % 60, i % 60
        ua = rnd.choice(agents)
        if i % 10 == 0:
            rule, template = rnd.choice(special)
            expected[rule] += 1
            out.append(template.format(ip=ip, m=m, s=s, ua=ua))
        else:
            out.append(f'{ip} - - [29/Nov/2026:03:{m:02d}:{s:02d} +0000] "GET {rnd.choice(paths)} HTTP/1.1" '
                       f'200 {rnd.randint(200, 90000)} "https://review.example.com/" "{ua}"')
    data = ("\n".join(out) + "\n").encode()
    with open(path, "wb") as f:
        f.write(data)
    return expected, len(data)

MTAIL_PROG = r'''
counter bench_lines_total
counter bench_matches_total by rule
/$/ {
  bench_lines_total++
}
/(?i)(?:(?P<ip>\b\d{1,3}(?:\.\d{1,3}){3}\b).*)?(?:unauthorized|authentication failed|forbidden)/ {
  bench_matches_total["auth_failure"]++
}
/\bERROR\b/ {
  bench_matches_total["error"]++
}
/(?i)critical|fatal/ {
  bench_matches_total["critical"]++
}
/(?i)rate[ _-]?limit/ {
  bench_matches_total["rate_limited"]++
}
/(?i)time[ _-]?out|timed out|slow/ {
  bench_matches_total["timeout"]++
}
'''

def run(name, argv, port, log_path, lines_re, match_re, payload, expected, workdir):
    out = open(os.path.join(workdir, name + ".out"), "wb")
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 30
        while time.time() < deadline and sample(scrape(port), lines_re) is None:
            time.sleep(0.05)
        if sample(scrape(port), lines_re) is None:
            sys.exit(f"{name} did not come up; see {workdir}/{name}.out")
        time.sleep(0.5)
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        with open(log_path, "ab") as f:
            f.write(payload)
        lines = 0
        deadline = time.time() + 600
        while time.time() < deadline:
            lines = sample(scrape(port), lines_re) or 0
            if lines >= N:
                break
            time.sleep(0.02)
        wall, cpu = time.monotonic() - t0, cpu_seconds(proc.pid) - cpu0
        text = scrape(port)
        got = {rule: sample(text, match_re.format(rule=rule)) for rule in expected}
        exact = lines == N and all(got[r] == expected[r] for r in expected)
        return {"name": name, "wall": wall, "cpu": cpu, "lines": lines, "exact": exact, "got": got}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

def main():
    with tempfile.TemporaryDirectory(prefix="medic-logs-bench-") as work:
        lines_path = os.path.join(work, "lines.txt")
        expected, size = generate(lines_path)
        payload = open(lines_path, "rb").read()
        print(f"{N} lines, {size / 1e6:.1f} MB, expected matches {expected}")

        medic_log = os.path.join(work, "medic.log")
        open(medic_log, "wb").close()
        medic_port = free_port()
        config = os.path.join(work, "medic.yml")
        with open(config, "w") as f:
            f.write(f"web: {{listen_address: '127.0.0.1:{medic_port}'}}\n"
                    f"data_dir: {work}\n"
                    f"collectors:\n  logs:\n    sources: [{{name: bench, path: {medic_log}}}]\n"
                    f"    poll_interval: 50ms\n")
        medic = run("medic", [MEDIC, f"--config.file={config}", "--no-collector.process"], medic_port,
                    medic_log, r'^medic_log_lines_total\{source="bench"\} (\S+)',
                    r'^medic_log_matches_total\{{(?=.*rule="{rule}")(?=.*source="bench").*\}} (\S+)',
                    payload, expected, work)

        mtail_log = os.path.join(work, "mtail.log")
        open(mtail_log, "wb").close()
        progs = os.path.join(work, "progs")
        os.mkdir(progs)
        with open(os.path.join(progs, "bench.mtail"), "w") as f:
            f.write(MTAIL_PROG)
        mtail_port = free_port()
        mtail = run("mtail", ["mtail", "--progs", progs, "--logs", mtail_log, "--address", "127.0.0.1",
                              "--port", str(mtail_port), "--poll_interval", "50ms", "--logtostderr"],
                    mtail_port, mtail_log, r'^bench_lines_total\{[^}]*\} (\S+)',
                    r'^bench_matches_total\{{(?=.*rule="{rule}").*\}} (\S+)', payload, expected, work)

        for r in (medic, mtail):
            rate = r["lines"] / r["cpu"] if r["cpu"] > 0 else float("inf")
            r["rate"] = rate
            print(f"{r['name']:6s} wall {r['wall']:7.2f} s  cpu {r['cpu']:7.2f} s  "
                  f"{rate / 1e6:6.2f} M lines/cpu-s  {r['lines'] / r['wall'] / 1e6:6.2f} M lines/s wall  "
                  f"exact={r['exact']} matches={r['got']}")
        ratio = medic["rate"] / mtail["rate"]
        print(f"ratio medic/mtail lines per CPU-second: {ratio:.1f}x "
              f"(targets: >= 3x mtail, >= 1.0 M lines/s on one core)")
        ok = medic["exact"] and ratio >= 3 and medic["rate"] >= 1e6
        sys.exit(0 if ok else 1)

main()
