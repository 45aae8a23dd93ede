"""Tests of sandbox/, the Discord-compatible server, with the real discord.py client."""
