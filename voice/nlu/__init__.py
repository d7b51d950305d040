"""Local language understanding (see understanding.py); `evaluation` measures it on
held-out sets. `from voice.nlu import understand` stays the one entry point."""

from voice.nlu.emails import parse_email
from voice.nlu.numbers import spoken_number
from voice.nlu.understanding import (
    THRESHOLD,
    Understanding,
    normalize,
    parse_phone,
    parse_slot,
    understand,
)

__all__ = ["THRESHOLD", "Understanding", "normalize", "parse_email", "parse_phone",
           "parse_slot", "spoken_number", "understand"]
