"""The plain words a preferences file may use, and the DPV terms each stands for (docs/preferences.md).

A word maps to terms only where the mapping is reliable: "marketing" is dpv:Marketing and every narrower
purpose (direct marketing, advertising, third-party marketing); "access" is the right of access of the GDPR
(Art. 15) or of Québec's law (s. 27). Anything else is written as a DPV term (`dpv:Marketing`, or its bare
name `Marketing` for a dpv: term). Words are matched lower-cased, with spaces, hyphens and underscores alike.
"""
from __future__ import annotations

# a use that needs consent (kind consent-required): purposes, processing operations, processing contexts
USES = {
    "marketing": ["dpv:Marketing"], "prospection": ["dpv:Marketing"],
    "direct marketing": ["dpv:DirectMarketing"], "prospection commerciale": ["dpv:DirectMarketing"],
    "advertising": ["dpv:Advertising"], "publicite": ["dpv:Advertising"], "publicité": ["dpv:Advertising"],
    "personalised advertising": ["dpv:PersonalisedAdvertising"], "personalized advertising": ["dpv:PersonalisedAdvertising"],
    "third party marketing": ["pkx:ThirdPartyMarketing"],
    "profiling": ["dpv:Profiling"], "profilage": ["dpv:Profiling"],
    "automated decisions": ["dpv:AutomatedDecisionMaking"], "automated decision making": ["dpv:AutomatedDecisionMaking"],
    "decisions automatisees": ["dpv:AutomatedDecisionMaking"], "décisions automatisées": ["dpv:AutomatedDecisionMaking"],
    "tracking": ["dpv:Tracking"], "suivi": ["dpv:Tracking"], "tracage": ["dpv:Tracking"], "traçage": ["dpv:Tracking"],
}

# territories (kind territories, field within): legal territories by name, else ISO 3166 codes as loc: terms
TERRITORIES = {
    "eu": "pkx:territory-EU", "european union": "pkx:territory-EU", "ue": "pkx:territory-EU",
    "union europeenne": "pkx:territory-EU", "union européenne": "pkx:territory-EU",
    "eea": "pkx:territory-EEA", "european economic area": "pkx:territory-EEA", "eee": "pkx:territory-EEA",
    "espace economique europeen": "pkx:territory-EEA", "espace économique européen": "pkx:territory-EEA",
}

# transfer mechanisms (kind territories, field unless): a legal basis or measure under one of these terms
MECHANISMS = {
    "adequacy": ["eu-gdpr:AdequacyDecision"], "adequacy decision": ["eu-gdpr:AdequacyDecision"],
    "decision d'adequation": ["eu-gdpr:AdequacyDecision"], "décision d'adéquation": ["eu-gdpr:AdequacyDecision"],
    "scc": ["eu-gdpr:StandardContractualClauses"], "sccs": ["eu-gdpr:StandardContractualClauses"],
    "standard contractual clauses": ["eu-gdpr:StandardContractualClauses"],
    "clauses contractuelles types": ["eu-gdpr:StandardContractualClauses"],
    "bcr": ["eu-gdpr:BindingCorporateRules"], "bcrs": ["eu-gdpr:BindingCorporateRules"],
    "binding corporate rules": ["eu-gdpr:BindingCorporateRules"],
    "regles d'entreprise contraignantes": ["eu-gdpr:BindingCorporateRules"],
    "règles d'entreprise contraignantes": ["eu-gdpr:BindingCorporateRules"],
}

# the rights a person wants to exercise (kind rights): any of the terms states the right
RIGHTS = {
    "access": ["eu-gdpr:A15", "pkx:QC-RightOfAccess"], "acces": ["eu-gdpr:A15", "pkx:QC-RightOfAccess"],
    "accès": ["eu-gdpr:A15", "pkx:QC-RightOfAccess"],
    "rectification": ["eu-gdpr:A16", "pkx:QC-RightToRectification"],
    "erasure": ["eu-gdpr:A17"], "deletion": ["eu-gdpr:A17"], "effacement": ["eu-gdpr:A17"],
    "suppression": ["eu-gdpr:A17"],
    "restriction": ["eu-gdpr:A18"], "limitation": ["eu-gdpr:A18"],
    "portability": ["eu-gdpr:A20"], "portabilite": ["eu-gdpr:A20"], "portabilité": ["eu-gdpr:A20"],
    "objection": ["eu-gdpr:A21"], "object": ["eu-gdpr:A21"], "opposition": ["eu-gdpr:A21"],
    "withdraw consent": ["eu-gdpr:A7-3", "pkx:QC-RightToWithdrawConsent"],
    "retrait du consentement": ["eu-gdpr:A7-3", "pkx:QC-RightToWithdrawConsent"],
    "complaint": ["eu-gdpr:A77"], "reclamation": ["eu-gdpr:A77"], "réclamation": ["eu-gdpr:A77"],
    "automated decisions": ["eu-gdpr:A22"],
}

# data categories (kind retention, field data): words for the most asked-for; any pd: or dpv: term otherwise
DATA = {
    "all": [], "all data": [], "personal data": ["dpv:PersonalData"],
    "financial": ["pd:Financial"], "financial data": ["pd:Financial"], "payment card": ["pd:PaymentCard"],
    "contact": ["pd:Contact"], "contact data": ["pd:Contact"],
    "email": ["pd:EmailAddress"], "e-mail": ["pd:EmailAddress"], "location": ["pd:Location"],
    "health": ["pd:Health"], "identifying": ["pd:Identifying"], "purchases": ["pd:Purchase"],
    "communications": ["pd:Communication"], "browsing": ["pd:BrowsingBehaviour"],
}

# legal bases that excuse a disclosure (kind no-third-party-disclosure, field unless)
EXCUSES = {
    "consent": ["dpv:Consent"], "consentement": ["dpv:Consent"],
    "legal obligation": ["dpv:LegalObligation", "eu-gdpr:A6-1-c"], "law": ["dpv:LegalObligation", "eu-gdpr:A6-1-c"],
    "required by law": ["dpv:LegalObligation", "eu-gdpr:A6-1-c"], "obligation legale": ["dpv:LegalObligation", "eu-gdpr:A6-1-c"],
    "obligation légale": ["dpv:LegalObligation", "eu-gdpr:A6-1-c"],
}

# how a person wants to exercise the rights (kind rights, field channel)
CHANNELS = ("email", "post", "phone", "web", "any")
CHANNEL_WORDS = {"e-mail": "email", "mail": "email", "courriel": "email", "postal": "post", "courrier": "post",
                 "telephone": "phone", "téléphone": "phone", "website": "web", "online": "web", "en ligne": "web"}


def key(word: str) -> str:
    """A word as the tables above are keyed: lower case, single spaces for spaces, hyphens and underscores."""
    return " ".join(word.lower().replace("-", " ").replace("_", " ").split())
