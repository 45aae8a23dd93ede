"""The storage layer: tables, migrations and every database read and write (no Discord)."""

# The largest id or number a BIGINT column (and SQLite's INTEGER) holds; Discord's ids are 64-bit
# snowflakes below it. Here, where importing it loads nothing (the CLI checks options with it).
MAX_BIGINT = 2**63 - 1
