"""The harm taxonomy and queue tiers shared by queues, exposure, policies and reports."""

from __future__ import annotations

#: Kinds of disturbing content (docs/architecture.md, "Field names clients rely on").
#: A contractor may opt out of any of them.
HARM_CATEGORIES = (
    "violence_gore",
    "child_sexual_abuse",
    "sexual_content",
    "self_harm",
    "hate_extremism",
    "animal_cruelty",
    "harassment",
    "other_disturbing",
)

#: Queue tiers: 0 none, 1 low, 2 high, 3 egregious. Tier >= SENSITIVE_TIER needs consent.
TIERS = (0, 1, 2, 3)
SENSITIVE_TIER = 1
#: Rotations take people off tiers 2 and 3 (docs/architecture.md, "Default exposure policy").
ROTATED_TIER = 2

#: How the content of an exposure event reached the moderator (docs/exposure.md,
#: "Modality and mitigations"). An event that does not say is of unknown modality.
MODALITIES = ("text", "image", "video", "audio", "live")
#: What the tool did to soften it; an event may carry any of them (or say none: ``[]``).
MITIGATIONS = ("blurred", "greyscale", "muted", "thumbnail")
#: The roll-ups' and reports' value for an event that did not say.
UNKNOWN = "unknown"
#: The roll-ups' and reports' value for an event that said ``"mitigations": []``.
NO_MITIGATION = "none"
