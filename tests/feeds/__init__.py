"""Tests of feeds/: fetching over real local HTTP, parsing, AN issue splitting."""
