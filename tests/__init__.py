"""The test suite; its directories mirror the packages they test."""
