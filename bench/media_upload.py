"""Benchmark the memory an upload costs: POST /api/media of a large file to gunicorn, peak RSS before and after.

The candidate is a ``--size-mb`` file (default 200 MB) streamed to a Folio app on gunicorn (one sync
worker, local media storage); the baseline is a 1 MB file to the same worker in the same run. The
figure is the growth of the worker's peak resident memory (VmHWM) caused by each upload, and its
ratio to the file size. Target: the large upload raises the peak by at most 50 MB.
"""

import argparse
import http.client
import json
import os
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _load import HOST, Gunicorn  # noqa: E402

RESULTS = HERE / "results" / "media_upload.json"
TARGET_GROWTH_MB = 50
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"  # what makes the bytes a video/mp4
CHUNK = 1024 * 1024


def peak_mb(pid):
    """Return a process's peak resident memory (VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no VmHWM for process {pid}")


def prepare(folder):
    """Make a migrated instance with an administrator; return ``(settings env, token)``."""
    from cms import create_app
    from cms.auth import services
    from cms.core import migrate
    from cms.extensions import db

    instance = Path(folder) / "instance"
    instance.mkdir()
    settings = {"INSTANCE_PATH": str(instance), "SECRET_KEY": secrets.token_hex(16),
                "MEDIA_MAX_BYTES": str(1024**3)}
    app = create_app(dict(settings))
    with app.app_context():
        migrate.upgrade(db.engine)
        user = services.create_user("bench@example.com", "a-long-bench-password")
        _token, secret = services.create_token(user, "bench")
        db.session.commit()
    return {f"FOLIO_{key}": value for key, value in settings.items()}, secret


def upload(port, token, size):
    """Stream a multipart upload of ``size`` bytes (an MP4 header, then random bytes); return (status, seconds)."""
    boundary = secrets.token_hex(16)
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.mp4\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body():
        yield head
        yield MP4_HEAD
        left = size - len(MP4_HEAD)
        while left > 0:
            chunk = os.urandom(min(CHUNK, left))
            left -= len(chunk)
            yield chunk
        yield tail

    connection = http.client.HTTPConnection(HOST, port, timeout=600)
    started = time.perf_counter()
    connection.request("POST", "/api/media", body=body(), headers={
        "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(len(head) + size + len(tail))})
    answer = connection.getresponse()
    payload = answer.read()
    connection.close()
    if answer.status != 201:
        raise SystemExit(f"upload of {size:,} bytes answered {answer.status}: {payload[:300]!r}")
    return answer.status, time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200, help="size of the large upload")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="folio-bench-media-") as folder:
        env, token = prepare(folder)
        with open(Path(folder) / "gunicorn.log", "w") as log, \
                Gunicorn("cms:create_app()", "sync", env, log, "/healthz", workers=1) as server:
            worker = server.worker_pids()[0]
            upload(server.port, token, 64 * 1024)  # warm: imports, first connections
            before = peak_mb(worker)
            _status, small_seconds = upload(server.port, token, CHUNK)
            after_small = peak_mb(worker)
            _status, large_seconds = upload(server.port, token, args.size_mb * CHUNK)
            after_large = peak_mb(worker)
    small_growth, large_growth = after_small - before, after_large - after_small
    result = {
        "benchmark": "media_upload", "when": datetime.now(UTC).isoformat(), "nproc": os.cpu_count(),
        "size_mb": args.size_mb, "peak_rss_mb": {"before": round(before, 1), "after_1mb": round(after_small, 1),
                                                  "after_large": round(after_large, 1)},
        "growth_mb": {"baseline_1mb": round(small_growth, 1), "large": round(large_growth, 1)},
        "growth_per_file_mb": round(large_growth / args.size_mb, 4),
        "seconds": {"baseline_1mb": round(small_seconds, 2), "large": round(large_seconds, 2)},
        "throughput_mb_s": round(args.size_mb / large_seconds, 1), "target_growth_mb": TARGET_GROWTH_MB,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    met = large_growth <= TARGET_GROWTH_MB
    print(f"media upload: peak RSS {before:.1f} MB before, +{small_growth:.1f} MB for 1 MB (baseline), "
          f"+{large_growth:.1f} MB for {args.size_mb} MB ({large_growth / args.size_mb:.3f} MB per MB of file), "
          f"{args.size_mb / large_seconds:.0f} MB/s; target +{TARGET_GROWTH_MB} MB: {'PASS' if met else 'FAIL'}")
    print(f"  written to {RESULTS}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
