"""What a test-wise learner reads into an option's wording, shared by the item and conversation checks."""

from __future__ import annotations

import re

# Words a test-wise learner reads as "careful, so probably right" or "absolute, so probably wrong".
HEDGES = ("may", "might", "can", "could", "often", "tend", "tends", "tended", "usually", "generally", "some",
          "suggest", "suggests", "likely", "partly", "probably", "possibly", "perhaps", "appear", "appears",
          "seem", "seems", "sometimes", "typically", "modest", "moderate", "associated", "at least", "not",
          "cannot", "but", "although", "while", "unless", "depends", "depending", "maybe", "about")
ABSOLUTES = ("always", "never", "all", "every", "none", "only", "automatically", "completely", "entirely",
             "must", "no", "guarantee", "guarantees", "proves", "prove", "proof", "whole", "solely", "purely",
             "nothing", "everyone", "impossible", "certainly", "definitely", "any", "fully", "totally",
             "invariably", "sole", "no one", "nobody", "exactly")


def count_words(text: str, words: tuple[str, ...]) -> int:
    text = text.lower()
    return sum(len(re.findall(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)) for w in words)
