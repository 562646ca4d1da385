"""Restyled copies of the urgency reader's training texts, so that it learns to ignore how a person writes.

Why: the reader trained on the tuning vignettes alone picked up each writer's voice along with the symptoms.
Probing it (session 11) with one self-care text about a blocked nose and cheek pain: read plainly it was
self-care (0.93); after "Good evening doc, male 29, I do night shift in a warehouse." it was split three ways;
written as a second-language speaker might ("I am woman 31 years. Since 6 days I have ...") it was urgent
(0.59). Greetings, occupations, sign-offs, casing and dropped articles say nothing about urgency, so each
training text also appears restyled with its level unchanged.

The openers and closers below were written for this purpose; none comes from an evaluation set. They carry no
clinical content (no age, symptom, duration or worry that could change a triage level).
"""
from __future__ import annotations

import random
import re
from typing import Sequence

OPENERS = (
    "Hi.", "Hello,", "Hi there, quick question.", "Good morning.", "Good evening doc,", "Dear Doctor,",
    "Dear Sir or Madam, I would be grateful for your advice.", "Sorry to bother you.", "Hope you can help.",
    "Hello, I am writing through the app.", "Evening. Typing this on my phone, sorry for the spelling.",
    "I work nights in a warehouse.", "I'm a teacher.", "I drive for a delivery company.", "I am a student.",
    "I'm a farmer.", "I work in a shop.", "I'm on a night shift right now.", "Writing from work.",
    "English is not my first language, sorry.", "My English is not so good.", "Hello doctor, good day to you.",
    "Greetings.", "Hey.", "Yo.", "Not sure if this is the right place to ask.", "First time using this service.",
    "I don't usually bother the doctor.", "My wife told me to message.", "My husband made me write this.",
    "Asking on behalf of my family.", "I'm writing this for someone I look after.",
    "I hope this is the right place.", "Morning all.", "Please help me.", "Good afternoon, nurse.",
    "Hello, I found this number online.", "Apologies for the long message.", "Bit of a strange one.",
)
CLOSERS = (
    "What should I do?", "Should I be worried?", "Thanks in advance.", "Please advise.", "Thank you.",
    "Is this normal?", "Any advice?", "Do I need to see someone?", "What do you think?", "Many thanks.",
    "Cheers.", "Thanks a lot for your time.", "Kind regards.", "God bless.", "Sorry for my English.",
    "Waiting for your reply.", "Thank you doctor.", "Let me know.", "Hope that makes sense.",
    "Sorry it's so long.",
)
_ARTICLES = re.compile(r"\b(?:a|an|the)\s+", re.IGNORECASE)
_SOFT_PUNCTUATION = re.compile(r"[,;:'\"()]")


def restyle(text: str, rng: random.Random) -> str:
    """`text` with its style changed and its content kept: an opener and a closer added, lower case, articles
    dropped or soft punctuation removed, each at random (at least one change)."""
    out = text.strip()
    changed = False
    while not changed:
        if rng.random() < 0.6:
            out, changed = f"{rng.choice(OPENERS)} {out}", True
        if rng.random() < 0.4:
            out, changed = f"{out.rstrip()} {rng.choice(CLOSERS)}", True
        if rng.random() < 0.25:
            out, changed = out.lower(), True
        if rng.random() < 0.25:
            out, changed = _ARTICLES.sub("", out), True
        if rng.random() < 0.2:
            out, changed = _SOFT_PUNCTUATION.sub("", out), True
    return re.sub(r"\s+", " ", out).strip()


def with_restyled_copies(examples: Sequence[tuple[str, str]], copies: int,
                         seed: int = 0) -> list[tuple[str, str]]:
    """The examples followed by `copies` restyled copies of each, with the same levels."""
    rng = random.Random(seed)
    out = list(examples)
    for _ in range(copies):
        out += [(restyle(text, rng), level) for text, level in examples]
    return out
