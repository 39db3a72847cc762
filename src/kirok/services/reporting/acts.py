"""Which act types each section counts: the report's mapping onto the vocabulary.

Terms are ESF list 4 (types of acts) ids or kirok's local terms under them
(``data/vocab/local_terms.csv``); a query counts each root *and every narrower term*
(``Vocabulary.descendant_ids``), so a documenter may record the most specific term known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["ACT_QUERIES", "ActQuery", "query"]

_SUMMARY_EXECUTION: Final = "01010101000004"
_EXTRAJUDICIAL_EXECUTION: Final = "01010102000004"
_CAPITAL_PUNISHMENT: Final = "01010103000004"
_PUBLIC_EXECUTION: Final = "L4-PUBLIC-EXECUTION"
_DEATH_IN_CUSTODY: Final = "01010601000004"
_DISAPPEARANCE: Final = "03010300000004"
_TORTURE: Final = "02011111000004"
_DETENTION: Final = "03010200000004"
_FORCED_LABOUR: Final = "30010201000004"
_RELIGIOUS_PERSECUTION: Final = "L4-RELIGIOUS-PERSECUTION"
_REFOULEMENT: Final = "38010100000004"  # includes L4-FORCED-REPATRIATION
# Civil liberties: the ESF branches of freedom of expression, information, association and
# assembly, movement and residence, and privacy. Belief and opinion (11...) is counted under
# religious freedom, through the local term for religious persecution.
_EXPRESSION: Final = "10000000000004"
_INFORMATION: Final = "09000000000004"  # includes L4-FOREIGN-MEDIA-PUNISHMENT
_ASSOCIATION_AND_ASSEMBLY: Final = "12000000000004"
_MOVEMENT: Final = "05000000000004"  # includes L4-PUNISHED-FOR-LEAVING
_PRIVACY: Final = "04000000000004"
# Trafficking: ESF has no trafficking term; slavery (with the local L4-TRAFFICKING under it)
# and forced marriage are the acts the Trafficking in Persons Report describes for the DPRK's
# victims abroad. State-sponsored forced labour is counted too, as that report does.
_SLAVERY: Final = "03010600000004"
_FORCED_MARRIAGE: Final = "07010200000004"


@dataclass(frozen=True)
class ActQuery:
    """One count of documented acts: the section it belongs to and the act types (with their
    narrower terms) it counts."""

    key: str
    section: str
    label: str
    roots: tuple[str, ...]


ACT_QUERIES: Final = (
    ActQuery(
        "executions",
        "deprivation_of_life",
        "Executions documented (summary, extrajudicial, judicial and public)",
        (_SUMMARY_EXECUTION, _EXTRAJUDICIAL_EXECUTION, _CAPITAL_PUNISHMENT, _PUBLIC_EXECUTION),
    ),
    ActQuery(
        "deaths_in_custody",
        "deprivation_of_life",
        "Deaths in detention or custody documented",
        (_DEATH_IN_CUSTODY,),
    ),
    ActQuery("disappearances", "disappearance", "Disappearances documented", (_DISAPPEARANCE,)),
    ActQuery("torture", "torture", "Acts of torture documented", (_TORTURE,)),
    ActQuery(
        "arbitrary_detention",
        "detention",
        "Arbitrary detentions documented (people held at any time in the year)",
        (_DETENTION,),
    ),
    ActQuery(
        "forced_labour",
        "detention",
        "Forced labour in detention documented",
        (_FORCED_LABOUR,),
    ),
    ActQuery(
        "religious_persecution",
        "religious_freedom",
        "Acts of persecution for religious belief documented",
        (_RELIGIOUS_PERSECUTION,),
    ),
    ActQuery(
        "forced_repatriation",
        "refugees",
        "Forced repatriations (refoulement) documented",
        (_REFOULEMENT,),
    ),
    ActQuery(
        "expression_and_information",
        "civil_liberties",
        "Violations of freedom of expression and information documented (including "
        "punishment for foreign media)",
        (_EXPRESSION, _INFORMATION),
    ),
    ActQuery(
        "association_and_assembly",
        "civil_liberties",
        "Violations of freedom of association and assembly documented",
        (_ASSOCIATION_AND_ASSEMBLY,),
    ),
    ActQuery(
        "movement",
        "civil_liberties",
        "Violations of freedom of movement and residence documented (including punishment "
        "for leaving the country)",
        (_MOVEMENT,),
    ),
    ActQuery(
        "privacy",
        "civil_liberties",
        "Violations of privacy documented (searches, surveillance)",
        (_PRIVACY,),
    ),
    ActQuery(
        "trafficking",
        "trafficking",
        "Trafficking in persons, slavery and forced marriage documented",
        (_SLAVERY, _FORCED_MARRIAGE),
    ),
    ActQuery(
        "state_forced_labour",
        "trafficking",
        "Forced labour for the state documented (the same acts as forced labour in detention, "
        "which the Trafficking in Persons Report counts as trafficking)",
        (_FORCED_LABOUR,),
    ),
)


def query(key: str) -> ActQuery:
    """The act query named ``key``."""
    for found in ACT_QUERIES:
        if found.key == key:
            return found
    raise KeyError(key)
