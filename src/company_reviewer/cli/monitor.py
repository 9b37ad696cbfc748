"""Placeholder: filled in by the monitor work; lists the click commands this module contributes."""

COMMANDS: list = []
