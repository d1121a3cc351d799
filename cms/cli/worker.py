"""`folio worker`: deliver webhooks, run plugins' event hooks and scheduled publishing."""

import logging

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--until-idle", is_flag=True, help="Stop once a pass finds nothing to do (cron jobs, tests).")
@click.option("--poll", type=click.FloatRange(0.01, 3600), default=None,
              help="Seconds between passes when idle (default: FOLIO_WORKER_POLL_SECONDS).")
@with_appcontext
def command(until_idle, poll):
    """Consume the outbox and run due jobs until stopped (SIGTERM finishes the job at hand first).

    Run one or more per deployment: on PostgreSQL several workers share the work without running
    a job twice; on SQLite run one.
    """
    from cms.jobs.worker import Worker

    app = current_app._get_current_object()
    if poll is not None:
        app.config["WORKER_POLL_SECONDS"] = poll
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    worker = Worker(app)
    worker.install_signal_handlers()
    click.echo(f"folio worker {worker.name} started (poll every {app.config['WORKER_POLL_SECONDS']} s)", err=True)
    counts = worker.run(until_idle=until_idle)
    click.echo(f"events dispatched: {counts['events']}, jobs run: {counts['jobs']}, "
               f"schedules run: {counts['scheduled']}")
