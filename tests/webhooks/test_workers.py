"""Several `folio worker` processes share the outbox: every event is delivered once, none lost."""

import os
import subprocess
import sys
import time

import sqlalchemy as sa

from cms.core.policy import SYSTEM
from cms.events.services import emit
from cms.extensions import db
from cms.jobs.models import Job

EVENTS = 1000


def test_workers_deliver_a_thousand_events_with_no_loss_and_no_duplicate(live_app, receiver, tmp_path):
    """Two worker processes on PostgreSQL (row locks with SKIP LOCKED); one on SQLite, which has none."""
    from cms.webhooks.services import create_webhook

    url = live_app.config["SQLALCHEMY_DATABASE_URI"]
    workers = 2 if url.startswith("postgresql") else 1
    live_app.config["WEBHOOK_ALLOW"] = ["127.0.0.1/32"]
    with live_app.app_context():
        create_webhook({"name": "load", "url": receiver.url, "events": ["entry.updated"]}, SYSTEM)
        db.session.commit()
        time.sleep(0.01)  # events strictly after the webhook's creation
        for number in range(EVENTS):
            emit("entry.updated", "entry", f"e{number}", {"type": "post", "entry": {"id": f"e{number}"}})
        db.session.commit()

    env = {**os.environ, "FOLIO_DATABASE_URL": url, "FOLIO_INSTANCE_PATH": str(tmp_path / "instance"),
           "FOLIO_SECRET_KEY": "test-secret", "FOLIO_WEBHOOK_ALLOW": "127.0.0.1/32", "FOLIO_WORKER_BATCH": "50",
           "FOLIO_PLUGINS_PATH": str(tmp_path / "no-plugins")}
    command = [sys.executable, "-c", "from cms.cli import main; main()", "worker", "--until-idle", "--poll", "0.05"]
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(workers)]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert [process.returncode for process in processes] == [0] * workers, outputs

    ids = receiver.ids()
    assert len(ids) == EVENTS and len(set(ids)) == EVENTS  # every event once: no loss, no duplicate
    with live_app.app_context():
        statuses = db.session.execute(sa.select(Job.status, sa.func.count()).group_by(Job.status)).all()
    assert dict(statuses) == {"done": EVENTS}
    runs = [int(out.strip().rsplit("jobs run: ", 1)[1].split(",")[0]) for out, _err in outputs]
    assert sum(runs) == EVENTS
    if workers == 2:
        assert all(run > 0 for run in runs), runs  # both took part
    print(f"\n{workers} worker(s) delivered {EVENTS} events once each; jobs per worker: {runs}")
