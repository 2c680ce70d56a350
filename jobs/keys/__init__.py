"""API keys: who may call the API, as admin or user. Stored in Redis, hashed (jobs.keys.store);
made and revoked with `python -m jobs.keys` (jobs.keys.__main__) or the admin-only /v1/keys routes."""
from jobs.keys.store import ApiKey, KeyStore, NewKey, Role

__all__ = ["ApiKey", "KeyStore", "NewKey", "Role"]
