"""Content types, entries, revisions and relations.

Direction: ``api -> services -> models``; ``fields/`` holds the field-type registry the
services compile type schemas from.
"""
