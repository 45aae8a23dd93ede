"""The publisher's parts: pacing and retries, Discord operations, the outbox cycle."""
