"""Placeholder: filled in by the evaluate work; lists the click commands this module contributes."""

COMMANDS: list = []
