"""Tests of the web archive's Discord side (bot/archive/)."""
