"""Tests of threads/: tree, orders and exports (property tests, escaping, a real browser)."""
