"""What the verdicts say, in English and French: the message of each compiled shape (what one of its results
means) and the reason of each verdict (kind x state: not-met, open, met, silent), the kinds' titles and the
verdicts' words. The texts are in the one catalogue, kg/messages.yaml (its preferences-* sections); this module
gives them the shapes the preferences modules read."""
from __future__ import annotations

from ..messages import catalogue

KINDS = ("consent-required", "no-tracking-without-consent", "territories", "retention",
         "no-third-party-disclosure", "rights")

SHAPE_TEXTS = {kind: catalogue()[f"preferences-shape-{kind}"] for kind in KINDS}      # kind -> role -> {en, fr}
VERDICT_TEXTS = {kind: catalogue()[f"preferences-verdict-{kind}"] for kind in KINDS}  # kind -> state -> {en, fr}
KIND_TITLES = catalogue()["preferences-kinds"]       # kind -> {en, fr}, with {placeholders}
VERDICT_WORDS = catalogue()["preferences-verdicts"]  # met, not-met, unknown -> {en, fr}
