"""Placeholder: filled in by the serve work; lists the click commands this module contributes."""

COMMANDS: list = []
