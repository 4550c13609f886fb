"""ACLED's event taxonomy: 3 disorder types, 6 event types, 25 sub-event types, and the CASE 2021 label map.

Names follow the ACLED Codebook (2023 edition, section "Event types and sub-event types") letter for letter,
because downstream users filter on them. CASE 2021 task 2 (Haneczok et al. 2021) labels snippets with upper-case
codes for the same 25 sub-types plus five types outside ACLED's scope; those map to None.
"""

from __future__ import annotations

POLITICAL_VIOLENCE = "Political violence"
DEMONSTRATIONS = "Demonstrations"
STRATEGIC_DEVELOPMENTS = "Strategic developments"
# ACLED's own value for excessive force against protesters, which is both at once.
POLITICAL_VIOLENCE_AND_DEMONSTRATIONS = "Political violence; Demonstrations"

DISORDER_TYPES: tuple[str, ...] = (POLITICAL_VIOLENCE, DEMONSTRATIONS, STRATEGIC_DEVELOPMENTS)

BATTLES = "Battles"
EXPLOSIONS = "Explosions/Remote violence"
VIOLENCE_AGAINST_CIVILIANS = "Violence against civilians"
PROTESTS = "Protests"
RIOTS = "Riots"

EVENT_TYPES: tuple[str, ...] = (
    BATTLES,
    EXPLOSIONS,
    VIOLENCE_AGAINST_CIVILIANS,
    PROTESTS,
    RIOTS,
    STRATEGIC_DEVELOPMENTS,
)

# Sub-event type -> event type, in codebook order.
SUB_EVENT_TYPES: dict[str, str] = {
    "Armed clash": BATTLES,
    "Government regains territory": BATTLES,
    "Non-state actor overtakes territory": BATTLES,
    "Chemical weapon": EXPLOSIONS,
    "Air/drone strike": EXPLOSIONS,
    "Suicide bomb": EXPLOSIONS,
    "Shelling/artillery/missile attack": EXPLOSIONS,
    "Remote explosive/landmine/IED": EXPLOSIONS,
    "Grenade": EXPLOSIONS,
    "Sexual violence": VIOLENCE_AGAINST_CIVILIANS,
    "Attack": VIOLENCE_AGAINST_CIVILIANS,
    "Abduction/forced disappearance": VIOLENCE_AGAINST_CIVILIANS,
    "Peaceful protest": PROTESTS,
    "Protest with intervention": PROTESTS,
    "Excessive force against protesters": PROTESTS,
    "Violent demonstration": RIOTS,
    "Mob violence": RIOTS,
    "Agreement": STRATEGIC_DEVELOPMENTS,
    "Arrests": STRATEGIC_DEVELOPMENTS,
    "Change to group/activity": STRATEGIC_DEVELOPMENTS,
    "Disrupted weapons use": STRATEGIC_DEVELOPMENTS,
    "Headquarters or base established": STRATEGIC_DEVELOPMENTS,
    "Looting/property destruction": STRATEGIC_DEVELOPMENTS,
    "Non-violent transfer of territory": STRATEGIC_DEVELOPMENTS,
    "Other": STRATEGIC_DEVELOPMENTS,
}

_DISORDER_BY_EVENT_TYPE: dict[str, str] = {
    BATTLES: POLITICAL_VIOLENCE,
    EXPLOSIONS: POLITICAL_VIOLENCE,
    VIOLENCE_AGAINST_CIVILIANS: POLITICAL_VIOLENCE,
    PROTESTS: DEMONSTRATIONS,
    # Mob violence is political violence; violent demonstrations are refined to Demonstrations below.
    RIOTS: POLITICAL_VIOLENCE,
    STRATEGIC_DEVELOPMENTS: STRATEGIC_DEVELOPMENTS,
}

# The sub-types whose disorder type differs from their event type's (codebook, "Disorder types").
_DISORDER_BY_SUB_EVENT_TYPE: dict[str, str] = {
    "Violent demonstration": DEMONSTRATIONS,
    "Excessive force against protesters": POLITICAL_VIOLENCE_AND_DEMONSTRATIONS,
}

CASE2021_TO_ACLED: dict[str, str | None] = {
    "ARMED_CLASH": "Armed clash",
    "GOV_REGAINS_TERIT": "Government regains territory",
    "NON_STATE_ACTOR_OVERTAKES_TER": "Non-state actor overtakes territory",
    "CHEM_WEAP": "Chemical weapon",
    "AIR_STRIKE": "Air/drone strike",
    "SUIC_BOMB": "Suicide bomb",
    "ART_MISS_ATTACK": "Shelling/artillery/missile attack",
    "REM_EXPLOS": "Remote explosive/landmine/IED",
    "GRENADE": "Grenade",
    "SEX_VIOL": "Sexual violence",
    "ATTACK": "Attack",
    "ABDUCT_DISSAP": "Abduction/forced disappearance",
    "PEACE_PROTEST": "Peaceful protest",
    "PROTEST_WITH_INTER": "Protest with intervention",
    "FORCE_AGAINST_PROTEST": "Excessive force against protesters",
    "VIOL_DEMONSTR": "Violent demonstration",
    "MOB_VIOL": "Mob violence",
    "AGREEMENT": "Agreement",
    "ARREST": "Arrests",
    "CHANGE_TO_GROUP_ACT": "Change to group/activity",
    "DISR_WEAP": "Disrupted weapons use",
    "HQ_ESTABLISHED": "Headquarters or base established",
    "PROPERTY_DISTRUCT": "Looting/property destruction",
    "NON_VIOL_TERRIT_TRANSFER": "Non-violent transfer of territory",
    "OTHER": "Other",
    # Outside ACLED's scope: what the sub-event classifier must answer None for.
    "ORG_CRIME": None,
    "NATURAL_DISASTER": None,
    "MAN_MADE_DISASTER": None,
    "DIPLO": None,
    "ATTRIB": None,
}


def event_type(sub_event_type: str) -> str:
    """The ACLED event type a sub-event type belongs to (KeyError for a name that is not ACLED's)."""
    return SUB_EVENT_TYPES[sub_event_type]


def disorder_type(event_type: str, sub_event_type: str | None = None) -> str:
    """ACLED's disorder type for an event type, refined by the sub-event type where the codebook splits it.

    Without a sub-type, Riots give "Political violence" (mob violence, the commoner case in news).
    """
    if sub_event_type is not None:
        if SUB_EVENT_TYPES.get(sub_event_type) != event_type:
            raise ValueError(f"{sub_event_type!r} is not a sub-event type of {event_type!r}")
        if sub_event_type in _DISORDER_BY_SUB_EVENT_TYPE:
            return _DISORDER_BY_SUB_EVENT_TYPE[sub_event_type]
    return _DISORDER_BY_EVENT_TYPE[event_type]
