"""Tests of bot/feeds/."""
