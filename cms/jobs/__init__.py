"""Background jobs: a table of due work that ``folio worker`` claims, runs and retries."""
