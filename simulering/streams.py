"""Random streams: one numpy Generator per purpose, spawned per replication.

``SeedSequence(seed).spawn(replications)`` gives each replication its own child; each
child spawns one stream per purpose in a fixed order, so adding a purpose at the end
never changes the numbers of the others, and the same replication draws the same
patients whatever policy runs and whichever process runs it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PURPOSES = (
    "arrivals",
    "areas",
    "priorities",
    "assessment",
    "travel",
    "decision",
    "pools",
    "withdrawal",
    "service",
    "no_show",
    "backlog",
    "policy",
    "choice",
    "estimates",
)


@dataclass(frozen=True)
class Streams:
    """The random streams of one replication, by purpose."""

    seed_sequence: np.random.SeedSequence

    def get(self, purpose: str) -> np.random.Generator:
        """A fresh Generator for ``purpose``; the same purpose always gives the same numbers."""
        index = PURPOSES.index(purpose)
        child = np.random.SeedSequence(
            entropy=self.seed_sequence.entropy,
            spawn_key=(*self.seed_sequence.spawn_key, index),
        )
        return np.random.default_rng(child)


def replication_stream(seed: int, replication: int) -> Streams:
    """The streams of replication ``replication`` alone (identical to the spawned one)."""
    root = np.random.SeedSequence(seed)
    return Streams(np.random.SeedSequence(entropy=root.entropy, spawn_key=(replication,)))
