"""Tests of bot/: the real discord.py client against the sandbox, and direct tests of pure parts."""
