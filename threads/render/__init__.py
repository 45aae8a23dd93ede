"""Reader-facing renderings of stored text (Discord Markdown → safe HTML)."""
