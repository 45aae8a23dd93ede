"""Fault, crash, fuzz and security tests across the whole bot."""
