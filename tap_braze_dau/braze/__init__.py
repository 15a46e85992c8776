"""The Braze HTTP side: one bounded GET (`transport`, body decoding included), what an
answer means (`answers`), rate-limit pools (`rate_limits`), and the client that retries
(`client`). Knows nothing of Singer, streams' records or the plan."""
