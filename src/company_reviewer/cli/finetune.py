"""Placeholder: filled in by the finetune work; lists the click commands this module contributes."""

COMMANDS: list = []
