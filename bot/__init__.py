"""The Discord bot: AnBot and run_bot, settings, errors, a package per feature, the CLI."""
