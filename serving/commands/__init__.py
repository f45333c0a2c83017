"""CLI commands, one module per group; serving/cli.py mounts them."""
