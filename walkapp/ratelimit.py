"""Per-address limit on failed attempts (join codes, erasure codes).

Only failures count: a whole group joining through one Wi-Fi never spends the budget. Once an
address has spent it, every attempt from it waits for the window to pass — answering right
codes while refusing wrong ones would tell a guesser which codes exist.
"""

from __future__ import annotations

import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class FailureLimiter:
    def __init__(self, limit: str, storage_uri: str = "memory://"):
        self.limit = parse(limit)
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def blocked(self, scope: str, address: str) -> bool:
        return not self.limiter.test(self.limit, scope, address)

    def failed(self, scope: str, address: str) -> None:
        self.limiter.hit(self.limit, scope, address)

    def retry_after(self, scope: str, address: str) -> int:
        reset, _remaining = self.limiter.get_window_stats(self.limit, scope, address)
        return max(1, int(reset - time.time()))
