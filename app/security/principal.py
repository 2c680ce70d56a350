"""Who is calling: an API key (admin or user), anonymous mode's stand-in admin, or a signed image link."""
from __future__ import annotations

from dataclasses import dataclass

from jobs.keys import Role
from jobs.ownership import ANONYMOUS


@dataclass(frozen=True)
class Principal:
    id: str  # the key's id: the owner of what it creates
    role: Role
    share_model: str | None = None  # a signed image link: may read this model's images and nothing else

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN and self.share_model is None

    @property
    def limited(self) -> bool:
        """Quotas and rate limits apply (user keys, and links made by them)."""
        return self.role == Role.USER

    def owns(self, owner: str | None) -> bool:
        """May see and change a dataset, job or model with this owner."""
        return self.is_admin or (self.share_model is None and owner is not None and owner == self.id)


ANONYMOUS_ADMIN = Principal(id=ANONYMOUS, role=Role.ADMIN)
