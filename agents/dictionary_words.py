"""Real words of English and of the six other languages requests are written in (German, French,
Spanish, Italian, Portuguese, Dutch), which the speller must keep as typed.

Without them, the speller "corrected" every word outside the embedder's tokenizer and the domain
vocabulary that was one or two edits from a domain word: "keine" → "eine" and "nicht" → "night"
dropped a German negation, "openapi" → "openai" and "faiss" → "fails" changed what a request
names, "por fases" → "por cases", "logistic" → "logistics".

The list is the commonest words of five letters or more (shorter words are never corrected) of
the frequency lists of pyspellchecker (MIT licence, https://github.com/barrust/pyspellchecker):
every English word and the :data:`PER_LANGUAGE` commonest of each other language. It ships as a
sorted array of 64-bit word hashes (``dictionary_words.npy``, 2 MB): a set of the words
themselves held ~24 MB in every process. ``python -m mlarchitect.agents.dictionary_words``
rebuilds it from the installed pyspellchecker (a test extra); a test checks the shipped file is
what that gives.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl")
PER_LANGUAGE = 20_000  # the commonest words of each language but English
MIN_LENGTH = 5  # the speller's shortest correctable word
FILE = "dictionary_words.npy"


def word_hash(word: str) -> int:
    """A stable 64-bit hash of a lower-case word (the same in every process)."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


class WordSet:
    """Membership in a sorted array of word hashes."""

    def __init__(self, hashes: np.ndarray) -> None:
        self.hashes = hashes

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str) or not len(self.hashes):
            return False
        key = np.uint64(word_hash(word))
        index = int(np.searchsorted(self.hashes, key))
        return index < len(self.hashes) and self.hashes[index] == key

    def __len__(self) -> int:
        return len(self.hashes)


def source_words() -> list[str]:
    """The words, from pyspellchecker's frequency lists (raises ``ImportError`` without it)."""
    import spellchecker

    folder = Path(spellchecker.__file__).parent / "resources"
    words: set[str] = set()
    for language in LANGUAGES:
        with gzip.open(folder / f"{language}.json.gz", "rt", encoding="utf-8") as handle:
            counts: dict[str, int] = json.load(handle)
        ranked = sorted((w for w in counts if len(w) >= MIN_LENGTH), key=lambda w: (-counts[w], w))
        words.update(ranked if language == "en" else ranked[:PER_LANGUAGE])
    return sorted(words)


def hashes_of(words: list[str]) -> np.ndarray:
    return np.unique(np.array([word_hash(w) for w in words], dtype=np.uint64))


def file_path() -> Path:
    return Path(str(resources.files("mlarchitect.agents") / FILE))


@lru_cache(maxsize=1)
def dictionary_words() -> WordSet:
    """The shipped word set (empty when the file is missing or damaged: the speller then knows
    only the tokenizer's and the domain's words)."""
    try:
        hashes = np.load(file_path(), allow_pickle=False)
    except (OSError, ValueError):
        return WordSet(np.zeros(0, dtype=np.uint64))
    if hashes.dtype != np.uint64 or hashes.ndim != 1:
        return WordSet(np.zeros(0, dtype=np.uint64))
    return WordSet(hashes)


def write_file(path: Path | None = None) -> int:
    hashes = hashes_of(source_words())
    np.save(path or file_path(), hashes, allow_pickle=False)
    dictionary_words.cache_clear()
    return len(hashes)


if __name__ == "__main__":
    count = write_file()
    print(f"{count} word hashes written to {file_path()}")
