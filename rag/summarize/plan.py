"""Token budgets for summary prompts: what fits the model's window, and how to split what does not.

All counts are cl100k (rag.tokens). The model counts with its own tokenizer,
which for the bundled models needs up to ~10% more tokens on English prose
(SmolLM2 measured 1.04-1.10x), so input may fill only INPUT_SHARE of the room
left after the reply and the chat template. Nothing is ever cut to fit: what
does not fit is split (map-reduce), and what cannot be split is an error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag import tokens
from rag.citations import parse_citations
from rag.errors import RagError
from rag.sentences import split_sentences

if TYPE_CHECKING:
    from rag.settings import Settings

PROMPT_OVERHEAD = 64  # chat-template tokens around the messages (as in rag.answer)
INPUT_SHARE = 0.85  # margin for the model's tokenizer counting more than cl100k
TOKENS_PER_WORD = 1.6  # cl100k tokens per written word, markers included
MARKER_ROOM = 24  # tokens for citation markers beyond the words
MIN_WORDS = 10
DEFAULT_WORDS = {"brief": 120, "bullets": 150, "detailed": 300}
STYLES = tuple(DEFAULT_WORDS)


def tokens_for(words: int) -> int:
    return math.ceil(words * TOKENS_PER_WORD) + MARKER_ROOM


def words_for(n_tokens: int) -> int:
    return max(MIN_WORDS, int((n_tokens - MARKER_ROOM) / TOKENS_PER_WORD))


@dataclass(frozen=True)
class Budget:
    """Reply sizes and the window they share with the prompt.

    The word target is lowered to what `llm_max_tokens` can hold, so the model is
    never asked for more than it may write (a cut reply would lose its citations).
    """

    window: int
    words: int  # target length of the final summary
    final_tokens: int  # max_tokens of the final call
    note_words: int  # target length of a map/combine note
    note_tokens: int  # max_tokens of a map/combine call

    def room(self, reply_tokens: int) -> int:
        """cl100k tokens the messages may use when the reply may use `reply_tokens`."""
        return int((self.window - reply_tokens - PROMPT_OVERHEAD) * INPUT_SHARE)


def make_budget(settings: Settings, style: str, max_words: int | None) -> Budget:
    """The budget for `style`; a bad style or word limit is a RagError naming it."""
    if style not in DEFAULT_WORDS:
        raise RagError(f"unknown summary style {style!r}; choose one of: {', '.join(STYLES)}")
    if max_words is not None and max_words < MIN_WORDS:
        raise RagError(f"max_words must be at least {MIN_WORDS} (got {max_words})")
    cap = settings.llm_max_tokens
    words = min(max_words or DEFAULT_WORDS[style], words_for(cap))
    return Budget(
        window=settings.llm_ctx,
        words=words,
        final_tokens=min(cap, tokens_for(words)),
        note_words=words_for(cap),
        note_tokens=cap,
    )


def message_tokens(messages: list[dict[str, str]]) -> int:
    return sum(tokens.count(m["content"]) for m in messages)


def pack(costs: list[int], limit: int) -> list[tuple[int, int]]:
    """Consecutive [start, end) groups of items, each group costing at most `limit`.

    Groups aim at an even share of the total, so the last one is not a sliver with
    too little context for a useful note. An item costing more than `limit` is a
    ValueError: it could only fit by cutting it.
    """
    if not costs:
        return []
    if limit <= 0 or max(costs) > limit:
        raise ValueError(f"an item of {max(costs)} tokens does not fit a limit of {limit}")
    target = sum(costs) / math.ceil(sum(costs) / limit)
    groups: list[tuple[int, int]] = []
    start, used = 0, 0
    for i, cost in enumerate(costs):
        if i > start and (used + cost > limit or used >= target):
            groups.append((start, i))
            start, used = i, 0
        used += cost
    groups.append((start, len(costs)))
    return groups


def renumber(text: str, mapping: dict[int, int]) -> str:
    """Rewrite every citation marker through `mapping`; numbers it lacks are dropped.

    Turns a map step's local passage numbers into the document's global ones, and
    removes numbers a reduce step invented. A marker left empty disappears.
    """
    out: list[str] = []
    pos = 0
    for start, end, numbers in parse_citations(text):
        out.append(text[pos:start])
        mapped = list(dict.fromkeys(mapping[n] for n in numbers if n in mapping))
        out.append("".join(f"[{n}]" for n in mapped))
        pos = end
    out.append(text[pos:])
    return "".join(out).strip()


def drop_cut_sentence(text: str, reply_tokens: int) -> str:
    """Without a last sentence the model was cut off in (it hit `reply_tokens`).

    A cut sentence has no citation and often half a fact; dropping it is honest.
    Only done when the reply used (nearly) all its tokens and more than one sentence.
    """
    if tokens.count(text) < reply_tokens * 0.8:  # cl100k may count fewer than the model
        return text
    spans = split_sentences(text)
    if len(spans) < 2:
        return text
    last = text[spans[-1][0] : spans[-1][1]].rstrip(" *_\"')”’")
    if last.endswith((".", "!", "?", "]", "…")):
        return text
    return text[: spans[-1][0]].rstrip().rstrip("-*•").rstrip()  # and a bullet left bare
