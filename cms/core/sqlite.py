"""SQLite settings: foreign keys on, WAL, and transactions that support SAVEPOINTs.

pysqlite starts transactions lazily and breaks SAVEPOINT semantics; SQLAlchemy's documented
recipe switches its own handling off and emits BEGIN itself. Writes take the write lock at
BEGIN (IMMEDIATE) so that two writers wait for each other instead of failing mid-way;
safe (read-only) requests use a deferred BEGIN so that readers never wait for writers.
"""

import sqlalchemy as sa
from flask import has_request_context, request

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def configure_sqlite(engine):
    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection):
        read_only = has_request_context() and request.method in SAFE_METHODS
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def write_after_read(session, statement):
    """Run a bookkeeping write (a token's last use, a session's last sighting) that a read decided on.

    A read-only request reads in a deferred transaction; on SQLite, turning that transaction into
    a writer fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT) when another connection
    has written since the read began, whatever the busy timeout. Ending the read first lets the
    write wait for the lock like any other. The caller commits the write.
    """
    session.commit()
    session.execute(statement)
