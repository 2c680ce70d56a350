"""The security objects of a running app, made by its lifespan (they need Redis) and kept on app.state."""
from __future__ import annotations

import logging

import redis

from app.security import loopback
from app.security.access import ModelOwners
from app.security.authentication import Authenticator
from app.security.rate_limits import RateLimits
from app.security.share_links import LinkSigner
from app.settings import Settings
from jobs.keys import KeyStore

log = logging.getLogger(__name__)


def start_security(state, connection: redis.Redis, settings: Settings) -> None:
    """Refuse to start anonymously on a network address (loopback.AnonymousRefused), then set up
    state.keys, .signer, .authenticator, .rate_limits and .model_owners."""
    keys = KeyStore(connection, settings.queue_name)
    try:
        has_keys = keys.has_active_keys()
    except redis.RedisError:  # the app starts (and /readyz says why it is not ready); requests check again
        log.warning("redis unreachable at start-up: keys are checked on each request instead")
    else:
        loopback.check_start(settings, has_keys)
    state.keys = keys
    state.signer = LinkSigner.for_queue(connection, settings.queue_name, settings.share_secret)
    state.authenticator = Authenticator(keys, state.signer, settings)
    state.rate_limits = RateLimits(connection, settings.queue_name, settings)
    state.model_owners = ModelOwners(settings.data_dir)
