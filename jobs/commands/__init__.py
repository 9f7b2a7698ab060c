"""CLI commands, one module per group; each registers itself on `jobs.cli_app.app`."""
