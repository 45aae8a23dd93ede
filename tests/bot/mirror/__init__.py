"""Tests of bot/mirror/."""
