"""The wiki's version: shown in the footer, on /-/admin/status, in /-/metrics (``wiki_info``) and
by ``flask --app wiki version``. Raise it with every release (docs/operator/backup.md: Upgrading)."""

VERSION = "1.0.0"
