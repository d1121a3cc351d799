"""Drive an HTTP server on 127.0.0.1 with keep-alive connections for a fixed time; print figures as JSON.

Also home to what bench/delivery.py serves: ``Gunicorn`` (a server in a subprocess) and
``ceiling_app`` (the bare Flask baseline).

Usage: python bench/_load.py --port N --paths FILE [--connections 16] [--warmup 2] [--duration 10]

FILE holds one request path per line (``/api/content/article?...``); each connection cycles
through them from its own starting point. The run always stops after warm-up plus duration;
only the measured part is reported: requests, req/s, latency percentiles (ms), errors (any
status >= 400 or a broken connection) and the response sizes seen.
"""

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"  # never anything else: this is a benchmark of a local server
TIMEOUT = 30


class Worker(threading.Thread):
    """Send requests over one keep-alive connection until the deadline."""

    def __init__(self, port, paths, start, measure_from, deadline):
        super().__init__(daemon=True)
        self.port, self.paths, self.index = port, paths, start
        self.measure_from, self.deadline = measure_from, deadline
        self.latencies, self.errors, self.sizes, self.statuses = [], 0, set(), {}
        self.connection = None

    def request(self, path):
        """Send one GET and read the answer; return its status and body size."""
        if self.connection is None:
            self.connection = http.client.HTTPConnection(HOST, self.port, timeout=TIMEOUT)
        self.connection.request("GET", path, headers={"Accept": "application/json"})
        response = self.connection.getresponse()
        body = response.read()
        if response.will_close:
            self.close()
        return response.status, len(body)

    def close(self):
        """Drop the connection; the next request opens a new one."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def run(self):
        paths, count = self.paths, len(self.paths)
        while True:
            started = time.perf_counter()
            if started >= self.deadline:
                break
            path = paths[self.index % count]
            self.index += 1
            try:
                status, size = self.request(path)
            except (OSError, http.client.HTTPException):
                status, size = None, 0
                self.close()
            if started < self.measure_from:
                continue
            self.latencies.append(time.perf_counter() - started)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status is None or status >= 400:
                self.errors += 1
            else:
                self.sizes.add(size)
        self.close()


def percentile(ordered, fraction):
    """Return the value below which ``fraction`` of the sorted ``ordered`` lie (nearest rank)."""
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def run(port, paths, connections=16, warmup=2.0, duration=10.0):
    """Load ``paths`` on ``port`` and return the measured figures as a dict."""
    now = time.perf_counter()
    measure_from, deadline = now + warmup, now + warmup + duration
    step = max(1, len(paths) // connections)
    workers = [Worker(port, paths, number * step, measure_from, deadline) for number in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(TIMEOUT + warmup + duration)
    latencies = sorted(value for worker in workers for value in worker.latencies)
    statuses = {}
    for worker in workers:
        for status, number in worker.statuses.items():
            statuses[str(status)] = statuses.get(str(status), 0) + number
    sizes = set().union(*(worker.sizes for worker in workers))
    return {
        "requests": len(latencies), "seconds": duration,
        "requests_per_second": round(len(latencies) / duration, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2) if latencies else None,
        "errors": sum(worker.errors for worker in workers), "statuses": statuses,
        "bytes_min": min(sizes) if sizes else None, "bytes_max": max(sizes) if sizes else None,
        "connections": connections,
    }


def free_port():
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Gunicorn:
    """A gunicorn master on a loopback port, started and stopped around a ``with`` block."""

    def __init__(self, target, worker_class, env, log, probe, workers=2, threads=4):
        self.port = free_port()
        self.command = [sys.executable, "-m", "gunicorn", target, "--bind", f"{HOST}:{self.port}",
                        "--workers", str(workers), "--worker-class", worker_class, "--chdir", str(HERE),
                        "--log-level", "warning", "--timeout", "60", "--keep-alive", "30"]
        if worker_class == "gthread":
            self.command += ["--threads", str(threads)]
        self.env, self.log, self.probe, self.workers = {**os.environ, **env}, log, probe, workers
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(self.command, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                        cwd=HERE.parent)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                connection = http.client.HTTPConnection(HOST, self.port, timeout=5)
                connection.request("GET", self.probe)
                if connection.getresponse().status == 200 and len(self.worker_pids()) >= self.workers:
                    return self
            except OSError:
                pass
            finally:
                connection.close()
            time.sleep(0.2)
        self.__exit__()
        raise SystemExit(f"gunicorn did not answer within 60 s:\n{self.log_tail()}")

    def log_tail(self):
        """Return the end of the server log, for an error message."""
        self.log.flush()
        return Path(self.log.name).read_text(encoding="utf-8", errors="replace")[-3000:]

    def __exit__(self, *_exc):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def worker_pids(self):
        """Return the process ids of the master's workers."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def worker_rss_mb(self):
        """Return each worker's resident memory (VmRSS) in MB."""
        sizes = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            kilobytes = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
            sizes.append(round(kilobytes / 1024, 1))
        return sizes


def ceiling_app():
    """Return a bare Flask app answering ``GET /<name>`` with a pre-computed JSON body of a given size.

    The sizes come from ``BENCH_CEILING_SIZES`` (a JSON object ``{name: bytes}``); gunicorn
    builds it with ``_load:ceiling_app()``.
    """
    from flask import Flask, Response, abort

    sizes = json.loads(os.environ.get("BENCH_CEILING_SIZES", "{}"))
    bodies = {name: ('{"data":"' + "x" * max(0, size - 11) + '"}').encode() for name, size in sizes.items()}
    app = Flask("ceiling")

    @app.get("/<name>")
    def body(name):
        if name not in bodies:
            abort(404)
        return Response(bodies[name], mimetype="application/json")

    return app


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--paths", required=True, help="file with one request path per line")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args(argv)
    with open(args.paths, encoding="utf-8") as source:
        paths = [line.strip() for line in source if line.strip()]
    if not paths or not all(path.startswith("/") for path in paths):
        parser.error("--paths must list request paths starting with /")
    print(json.dumps(run(args.port, paths, args.connections, args.warmup, args.duration)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
