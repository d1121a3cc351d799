"""The list query language: filters, sorts, cursors and field selection, compiled to SQL.

- ``expressions``: the SQL expression of a stored field value (shared with index DDL),
- ``predicates``: the filter structure (a Python API other areas reuse) and its parser,
- ``sql``: predicates to SQLAlchemy conditions,
- ``paging``: sort keys, keyset cursors,
- ``params``: a list request's query string to a ``ListQuery``.
"""
