"""Readable generated run names such as ``brave-owl-417``.

>>> generate_run_name()  # doctest: +SKIP
'brave-owl-417'
"""

from __future__ import annotations

import random

_ADJECTIVES = (
    "agile", "amber", "ancient", "bold", "brave", "bright", "calm", "clever", "cosmic", "crisp",
    "curious", "daring", "eager", "elegant", "fancy", "fearless", "gentle", "gifted", "glowing",
    "graceful", "honest", "humble", "jolly", "keen", "kind", "lively", "loyal", "lucky", "merry",
    "mighty", "nimble", "noble", "polite", "proud", "quick", "quiet", "rare", "rustic", "serene",
    "sharp", "shy", "silent", "smooth", "snowy", "steady", "sunny", "swift", "tidy", "vivid", "wise",
)
_ANIMALS = (
    "ant", "bat", "bear", "bee", "bison", "boar", "carp", "cat", "colt", "crab", "crane", "crow",
    "deer", "dove", "duck", "eagle", "eel", "elk", "finch", "fox", "frog", "goat", "gull", "hare",
    "hawk", "heron", "horse", "ibis", "koala", "lark", "lion", "lynx", "mole", "moth", "newt", "owl",
    "panda", "quail", "ram", "raven", "robin", "seal", "shark", "sloth", "snail", "squid", "swan",
    "tiger", "toad", "trout", "whale", "wolf", "wren", "yak", "zebra",
)


def generate_run_name() -> str:
    """A random ``<adjective>-<animal>-<number>`` name (about 2.7 million combinations)."""
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_ANIMALS)}-{random.randrange(1000)}"
