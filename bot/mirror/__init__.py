"""Mirror logic kept apart from the cog: message conversion and catch-up after downtime."""
