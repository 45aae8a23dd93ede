"""Feeds, pure (no Discord, no SQL): HTTP fetching, RSS/Atom parsing, AN issue splitting."""
