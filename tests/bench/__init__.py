"""Tests that run each benchmark at a tiny size so its code cannot rot."""
