"""Subcommands of `kgqa`, one module per group (see kgqa/cli.py)."""
