"""The vocabulary term ids the demo generator uses, in one place.

Ids are HURIDOCS ESF micro-thesaurus ids (``kirok/data/micro_thesauri.csv``; list number in
the comment) or kirok's local terms (``kirok/data/vocab/local_terms.csv``, ids starting with
``L``). The test suite checks every id here against the loaded vocabularies, so a renamed or
mistyped id fails loudly instead of producing records with dangling vocabulary values.
"""

from __future__ import annotations

from typing import Final

# List 4: types of acts.
ACT_DETENTION: Final = "03010200000004"  # Detention, imprisonment
ACT_DISAPPEARANCE: Final = "03010300000004"  # Disappearance
ACT_TORTURE: Final = "02011111000004"  # Torture
ACT_FORCED_LABOUR: Final = "30010201000004"  # Involuntary or forced labour
ACT_FOOD_DENIAL: Final = "36010203000004"  # Denial of the right to adequate food
ACT_DEATH_IN_CUSTODY: Final = "01010601000004"  # Death in detention or police custody
ACT_SUMMARY_EXECUTION: Final = "01010101000004"  # Summary execution
ACT_REFOULEMENT: Final = "38010100000004"  # Refoulement
ACT_FORCED_REPATRIATION: Final = "L4-FORCED-REPATRIATION"  # local, under Refoulement
ACT_PUBLIC_EXECUTION: Final = "L4-PUBLIC-EXECUTION"  # local, under deliberate killings
# Civil liberties and trafficking in persons (the report's sections of those names).
ACT_TRAFFICKING: Final = "L4-TRAFFICKING"  # local, under Slavery
ACT_FORCED_MARRIAGE: Final = "07010200000004"  # Forced marriage
ACT_PUNISHED_FOR_LEAVING: Final = "L4-PUNISHED-FOR-LEAVING"  # local, under Restriction on travel
ACT_FOREIGN_MEDIA: Final = "L4-FOREIGN-MEDIA-PUNISHMENT"  # local, under the right to information
ACT_SEARCH: Final = "04010100000004"  # Illegal search / raid
ACT_SPEECH: Final = "10010400000004"  # Prohibition on speech
ACT_INTERNAL_EXILE: Final = "05010100000004"  # Internal exile
ACT_TRAVEL_RESTRICTION: Final = "05010600000004"  # Restriction on travel

# List 17: types of locations (local facility types).
FACILITY_KWANLISO: Final = "L17-KWANLISO"
FACILITY_KYOHWASO: Final = "L17-KYOHWASO"
FACILITY_JIPKYULSO: Final = "L17-JIPKYULSO"
FACILITY_MSS_HOLDING: Final = "L17-MSS-HOLDING"
FACILITY_CN_BORDER: Final = "L17-CN-BORDER-DETENTION"
FACILITY_TYPES: Final = {
    "kwanliso": FACILITY_KWANLISO,
    "kyohwaso": FACILITY_KYOHWASO,
    "jipkyulso": FACILITY_JIPKYULSO,
    "mss_holding": FACILITY_MSS_HOLDING,
    "detention_china": FACILITY_CN_BORDER,
}

# List 7: counting units.
UNIT_GROUP: Final = "03000000000007"  # Group, organisation or institution

# List 18: degrees of involvement.
DEGREE_DIRECT: Final = "01010000000018"  # Directly carried out the act
DEGREE_ORDERS: Final = "01020000000018"  # Gave orders that led to the act

# List 19: source connection to information.
CONNECTION_VICTIM: Final = "01010000000019"  # Victim him/herself
CONNECTION_WITNESS: Final = "01020000000019"  # Witness
CONNECTION_RELATIVE: Final = "02010100000019"  # Relative of victim

# List 20: types of intervention. ESF has no "urgent appeal" or "démarche" term; the closest
# ESF terms are used and the kind of action is spelled out in ``Intervention.request``.
INTERVENTION_URGENT_APPEAL: Final = "01060000000020"  # Request to others for assistance
INTERVENTION_DEMARCHE: Final = "01050000000020"  # Use of confidential contacts to obtain relief
INTERVENTION_INVESTIGATION: Final = "02010000000020"  # Demand for investigation

# List 24: types of perpetrators.
PERP_POLICE: Final = "01010400000024"  # Police
PERP_PRISON_OFFICIALS: Final = "01010500000024"  # Prison officials
PERP_INTELLIGENCE: Final = "01010600000024"  # Intelligence agency; secret service
PERP_MSS: Final = "L24-MSS"  # local: Ministry of State Security (bowibu)
PERP_MPS: Final = "L24-MPS"  # local: Ministry of People's/Social Security (anjeonbu)
PERP_CN_PUBLIC_SECURITY: Final = "L24-CN-PUBLIC-SECURITY"  # local: Chinese public security
PERP_KWP: Final = "L24-KWP"  # local: Korean Workers' Party organs
PERP_PRIVATE: Final = "11020000000024"  # Private individuals/groups (community): brokers
PERP_SPOUSES: Final = "11010100000024"  # Spouses: men who bought a wife

# List 27: types of responses.
RESPONSE_NONE: Final = "06000000000027"  # No response
RESPONSE_DENIED: Final = "03010000000027"  # Denied the event

# List 39: sex.
SEX_MALE: Final = "01000000000039"
SEX_FEMALE: Final = "02000000000039"

# List 41: violation status.
VIOLATION_CONFIRMED: Final = "01000000000041"  # Confirmed
VIOLATION_LIKELY: Final = "04000000000041"  # Likely

# List 42: reliability.
RELIABILITY_HIGH: Final = "01000000000042"  # Highly reliable
RELIABILITY_LIKELY: Final = "02000000000042"  # Likely reliable
RELIABILITY_UNSURE: Final = "03000000000042"  # Unsure

# List 45: intervention status.
STATUS_PENDING: Final = "05000000000045"  # Action pending
STATUS_CONTINUING: Final = "02000000000045"  # Some action taken and continuing

#: Every id above, for the consistency test.
ALL_TERM_IDS: Final = tuple(
    value
    for name, value in sorted(globals().items())
    if name.isupper() and isinstance(value, str) and (value.isdigit() or value.startswith("L"))
) + tuple(sorted(FACILITY_TYPES.values()))
