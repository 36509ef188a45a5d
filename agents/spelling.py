"""Spelling normalisation of a request against the definitions' vocabulary.

A word of the request that is neither an English word known to the bundled
embedder's tokenizer, nor a word of a dictionary (English and the six other
languages requests come in: ``agents/dictionary_words.py``), nor a word of the
domain vocabulary (the skills' and agents' definitions, the routing example bank
and its ``vocabulary`` list, whose words are spelt right by declaration) is
replaced by the closest domain word within a small edit distance ("retreival" →
"retrieval", "kubernets" → "kubernetes", "endpont" → "endpoint"). Words with
digits, short words and words with no close domain word are kept as typed. An
elided article stays as typed and the word after it is read ("l'architecure").

Routing and handoff selection score the normalised text; the request itself is
never changed in the deliverable.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Container, Iterable
from functools import lru_cache

MIN_LENGTH = 5  # shorter words are too ambiguous to correct
MIN_STEM = 4  # "desing" is no inflection of "des"
MIN_PLURAL_STEM = 3  # but "fixes" is "fix" + "es", not a typo of "files"
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")  # letters of any script: "métricas" is one word, not "m" + "tricas"
_WORD = re.compile(r"[a-z]{3,}")

_ENGLISH_ENDINGS = frozenset({"s", "t", "re", "ll", "ve", "d", "m"})  # "agent's", "don't", "we're", "we'll"
_SUFFIXES = ("s", "es", "ed", "ing", "er", "ers", "ly", "ies", "ied")
_lock = threading.Lock()


def _deletes(word: str) -> set[str]:
    """``word`` and every string one deletion from it."""
    return {word, *(word[:i] + word[i + 1:] for i in range(len(word)))}


def _delete_index(words: Iterable[str], suspects: list[str]) -> dict[str, list[str]]:
    """{deletion key: the words that have it}, for the keys of ``suspects`` only (symmetric
    delete: two words within one edit share a key). Indexing every word's keys instead held
    ~25,000 short strings at once, and the memory they left behind stayed with the process."""
    wanted = {key for word in suspects for key in _deletes(word)}
    index: dict[str, list[str]] = {}
    for word in words:
        for key in _deletes(word) & wanted:
            index.setdefault(key, []).append(word)
    return index


def max_distance(word: str) -> int:
    """Edits allowed for a word of this length: 1 up to 7 letters, 2 from 8."""
    return 1 if len(word) < 8 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a transposition is one edit); any value
    above ``limit`` is reported as ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


class Speller:
    """Corrects words against a domain vocabulary; English words stay as they are."""

    def __init__(self, domain_texts: Iterable[str], known_words: Iterable[str] = (),
                 dictionary: Container[str] = frozenset(), vocabulary: Iterable[str] = ()) -> None:
        counts: Counter[str] = Counter()
        for text in domain_texts:
            counts.update(_WORD.findall(text.lower()))
        # words declared spelt right ("openapi", "faiss"): weighed up, and domain words even when one
        # edit from a commoner one
        declared = Counter(w for text in vocabulary for w in _WORD.findall(text.lower()))
        counts.update({w: 3 * n for w, n in declared.items()})
        # the tokenizer's words are one shared lower-case frozenset: kept as it is, not copied per speller
        english = known_words if isinstance(known_words, frozenset) else frozenset(w.lower() for w in known_words)
        self.frequency = counts
        self._by_length: dict[int, list[str]] = {}
        for word in sorted(counts):
            if len(word) >= MIN_LENGTH - 1:
                self._by_length.setdefault(len(word), []).append(word)
        # the example bank is typed like requests ("pipline"): a rare word one edit from a
        # commoner domain word is a misspelling, not vocabulary
        suspects = [w for w in counts if w not in english and w not in dictionary and w not in declared
                    and len(w) >= MIN_LENGTH]
        # a word seen once is never commoner than a suspect: half the vocabulary stays out of the index
        deletes = _delete_index([w for w, n in counts.items() if n > 1], suspects)
        typos = {w for w in suspects if self._commoner(w, deletes) != w}
        self.domain = frozenset(counts) - typos
        for length, words in self._by_length.items():
            self._by_length[length] = [w for w in words if w not in typos]
        self.english = english
        self.dictionary = dictionary  # real words of English and six other languages ("keine", "logistic")
        self._cache: dict[str, str] = {}

    def _known(self, word: str) -> bool:
        return word in self.english or word in self.domain or word in self.dictionary

    def _commoner(self, word: str, deletes: dict[str, list[str]]) -> str:
        """The most frequent domain word one edit from ``word`` that is commoner than it
        (candidates share a one-letter deletion: symmetric-delete lookup)."""
        best, best_count = word, self.frequency[word]
        candidates = {c for key in _deletes(word) for c in deletes.get(key, [])}
        for candidate in sorted(candidates):
            if self.frequency[candidate] > best_count and edit_distance(word, candidate, 1) <= 1:
                best, best_count = candidate, self.frequency[candidate]
        return best

    def correct_word(self, word: str) -> str:
        """The domain word ``word`` was meant to be, or ``word`` itself."""
        low = word.lower()
        if len(low) < MIN_LENGTH or self._known(low) or self._inflected(low):
            return word
        with _lock:
            cached = self._cache.get(low)
        if cached is None:
            cached = self._closest(low)
            with _lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[low] = cached
        return cached if cached != low else word

    def _inflected(self, low: str) -> bool:
        """A known word with an inflection ("plugs", "tagged", "rerankers") is spelt right."""
        for suffix in _SUFFIXES:
            if low.endswith(suffix) and len(low) - len(suffix) >= (MIN_PLURAL_STEM if suffix in ("s", "es") else MIN_STEM):
                stem = low[: -len(suffix)]
                if self._known(stem) or self._known(stem + "e") or (suffix in ("ies", "ied") and self._known(stem + "y")) or (
                        len(stem) > 4 and stem[-1] == stem[-2] and stem[:-1] in self.english):  # "planned"
                    return True
        return False

    def _closest(self, low: str) -> str:
        limit = max_distance(low)
        best: tuple[int, int, int, str] | None = None
        for length in range(len(low) - limit, len(low) + limit + 1):
            for candidate in self._by_length.get(length, []):
                d = edit_distance(low, candidate, limit)
                if d > limit:
                    continue
                # fewest edits, then the same first letter, then the commonest domain word
                key = (d, 0 if candidate[0] == low[0] else 1, -self.frequency[candidate], candidate)
                if best is None or key < best:
                    best = key
        return best[3] if best is not None else low

    def normalise(self, text: str) -> str:
        """``text`` with each misspelt word replaced by its domain word."""
        return _TOKEN.sub(lambda m: self._correct_token(m.group(0)), text)

    def _correct_token(self, token: str) -> str:
        head, apostrophe, tail = token.partition("'")
        if not apostrophe:
            return self.correct_word(token)
        if tail.lower() in _ENGLISH_ENDINGS:  # "agnet's", "we're": the word before the apostrophe
            return self.correct_word(head) + apostrophe + tail
        return head + apostrophe + self.correct_word(tail)  # "l'architecture", "dell'indice": after the article


@lru_cache(maxsize=1)
def tokenizer_words() -> frozenset[str]:
    """Whole English words of the bundled embedder's tokenizer (empty when it cannot be read)."""
    try:
        from mlarchitect.knowledge.embedders.static import StaticEmbedder

        # the process's one loaded model (shared with the knowledge base and routing), not a second tokenizer
        return frozenset(StaticEmbedder().model.words)
    except Exception:  # noqa: BLE001 - no tokenizer: only the domain vocabulary is known
        return frozenset()
