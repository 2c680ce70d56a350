"""Who may do what: API keys (authentication), owners (access), anonymous mode on loopback only,
signed image links, and the quotas and rate limits of user keys. See the README's "Security" section."""
