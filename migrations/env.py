"""Alembic environment. Run through `folio db ...` (or cms.core.migrate) which passes a connection."""

from alembic import context

from cms.models import metadata

config = context.config


def include_object(obj, name, type_, reflected, compare_to):
    """Leave content-type indexes and search tables (services/indexes.py, search.py) out of autogenerate."""
    if type_ == "table" and reflected and compare_to is None and name.startswith("fts_"):
        return False
    return not (type_ == "index" and reflected and compare_to is None and name.startswith(("ix_f_", "ix_t_", "ix_s_")))


def run_migrations(connection):
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    import sqlalchemy as sa

    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        run_migrations(conn)
    engine.dispose()
