"""The storage layer: tables, migrations and every database read and write (no Discord)."""
