"""Tests of bot/publish/ (the publisher cog, pacing, rendering, outbox cycle)."""
