"""Settings from the environment (and an optional .env file), prefix ANBOT_.

The Discord token is the one exception: it is read from DISCORD_TOKEN, the name every Discord
tutorial uses, and is a SecretStr so it never appears in logs or reprs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    import aiohttp

    from feeds.fetch import FeedFetcher

PublishMode = Literal["forum", "thread"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ANBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # a blank line in .env means "use the default"
        extra="ignore",
    )

    discord_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_TOKEN", "ANBOT_DISCORD_TOKEN")
    )
    database_url: str = "sqlite+aiosqlite:///anbot.db"

    # Feeds
    feeds: Annotated[list[str], NoDecode] = Field(default_factory=list)
    poll_interval: float = 300.0  # seconds between polls of each feed
    backfill: int = 0  # entries published on a feed's first poll (the rest only recorded)
    fetch_timeout: float = 20.0
    fetch_max_bytes: int = 5_000_000
    feed_max_failures: int = 10  # straight failures before a feed is disabled
    # A failing feed is next fetched after about base·2^(failures-1) seconds (jittered, at most
    # 6 h), not at every poll; 0 turns the backoff off.
    feed_backoff_base: float = 60.0
    # Feeds (and their redirects) may reach loopback, private, link-local, multicast and
    # reserved addresses only when this is on: a hostile feed host could otherwise make the
    # bot read internal services. Tests and feeds served on this machine turn it on.
    allow_private_feeds: bool = False
    max_feeds_per_guild: int = 20  # `/an feed add` refuses more feeds for one server

    # Publishing: "CHANNEL_ID:forum" (a post per summary) or "CHANNEL_ID:thread" (a thread per
    # issue, summaries as follow-up messages), comma separated.
    publish_channels: Annotated[list[str], NoDecode] = Field(default_factory=list)
    create_tags: bool = True  # create a forum tag per top-level section when missing
    publish_pace: float = 1.0  # seconds between Discord writes of the publisher
    mod_log_channel_id: int | None = None
    ping_role_id: int | None = None  # the only mention the bot ever makes, when set

    # Commands
    dev_guild_id: int | None = None  # sync slash commands to this guild (instant) instead of global
    moderator_role_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    discuss_cooldown: float = 30.0  # seconds between two /an discuss of one member (0: none)
    upload_limit: int = 10 * 1024 * 1024  # bytes; exports larger than this are compressed/split

    # Mirror
    writer_flush_ms: int = 50
    writer_batch: int = 500
    # Where comment events wait while the database refuses writes (another process holds the
    # SQLite lock, PostgreSQL restarts); replayed on start. Unset: beside an SQLite file
    # ("anbot.db.comments-journal"), else "anbot-comments[.shardN].journal" here.
    writer_journal: str | None = None
    # Catch-up re-compares this many newest stored comments per thread with Discord's history
    # to find edits and deletes made while the bot was offline (older ones are not re-checked).
    mirror_recheck: int = 200

    # Scale-out
    shard_count: int | None = None
    shard_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    leader_lock_key: int = 0x616E626F74  # PostgreSQL advisory lock id for the feed leader

    # Where discord.py connects. Unset = the real Discord; `anbot sandbox` and the tests point
    # these at the local Discord-compatible server (sandbox/).
    discord_api_base: str | None = None  # e.g. http://127.0.0.1:8765/api/v10
    discord_gateway_url: str | None = None  # e.g. ws://127.0.0.1:8765/gateway

    log_level: str = "INFO"

    @field_validator("feeds", "publish_channels", mode="before")
    @classmethod
    def _split_str(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("moderator_role_ids", "shard_ids", mode="before")
    @classmethod
    def _split_int(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("publish_channels")
    @classmethod
    def _check_channels(cls, value: list[str]) -> list[str]:
        for spec in value:
            channel, _, mode = spec.partition(":")
            if not channel.isdigit() or mode not in ("", "forum", "thread"):
                raise ValueError(
                    f"publish channel {spec!r} must look like 123456789:forum or 123456789:thread"
                )
        return value

    @model_validator(mode="after")
    def _check_discord_endpoints(self) -> Settings:
        if bool(self.discord_api_base) != bool(self.discord_gateway_url):
            raise ValueError(
                "ANBOT_DISCORD_API_BASE and ANBOT_DISCORD_GATEWAY_URL go together: set both"
                " (another Discord-compatible server's REST base and gateway) or neither"
            )
        return self

    @model_validator(mode="after")
    def _check_shards(self) -> Settings:
        if len(self.shard_ids) > 1:
            raise ValueError(
                "ANBOT_SHARD_IDS: run one process per shard (one id each, e.g. ANBOT_SHARD_IDS=1)"
            )
        if self.shard_ids and self.shard_count is None:
            raise ValueError("ANBOT_SHARD_IDS needs ANBOT_SHARD_COUNT (the total number of shards)")
        if self.shard_count is not None and any(
            not 0 <= s < self.shard_count for s in self.shard_ids
        ):
            raise ValueError(
                f"ANBOT_SHARD_IDS must be between 0 and {self.shard_count - 1} "
                f"(ANBOT_SHARD_COUNT={self.shard_count})"
            )
        return self

    def shard_id(self) -> int:
        """This process's shard (0 when unset)."""
        return self.shard_ids[0] if self.shard_ids else 0

    def feed_fetcher(self, http: aiohttp.ClientSession) -> FeedFetcher:
        """The one way to build the feed fetcher from these settings (poller and CLI alike);
        `http` comes from feeds.fetch.feed_session(allow_private=self.allow_private_feeds)."""
        from feeds.fetch import FeedFetcher  # aiohttp: only for the commands that fetch

        return FeedFetcher(
            http,
            timeout=self.fetch_timeout,
            max_bytes=self.fetch_max_bytes,
            allow_private=self.allow_private_feeds,
        )

    def channel_modes(self) -> list[tuple[int, PublishMode]]:
        out: list[tuple[int, PublishMode]] = []
        for spec in self.publish_channels:
            channel, _, mode = spec.partition(":")
            out.append((int(channel), "thread" if mode == "thread" else "forum"))
        return out
