"""What the verdicts say, in English and French: the message of each compiled shape (what one of its results
means) and the reason of each verdict (kind x state: not-met, open, met, silent)."""
from __future__ import annotations

SHAPE_TEXTS = {
    "consent-required": {
        "breach": {"en": "This use rests on a legal basis other than your consent (or on implied consent only).",
                   "fr": "Cet usage repose sur une autre base légale que votre consentement (ou sur un consentement seulement implicite)."},
        "open": {"en": "This use is stated without its legal basis, or with consent among other bases.",
                 "fr": "Cet usage est indiqué sans sa base légale, ou avec le consentement parmi d'autres bases."},
        "met": {"en": "This use rests on your consent only, or the policy rules it out.",
                "fr": "Cet usage repose sur votre seul consentement, ou la politique l'exclut."},
    },
    "no-tracking-without-consent": {
        "breach": {"en": "Tracking on a legal basis other than your consent (or on implied consent: opting out in the browser).",
                   "fr": "Un suivi sur une autre base légale que votre consentement (ou sur un consentement implicite : s'y opposer dans le navigateur)."},
        "open": {"en": "Tracking stated without its legal basis, or with consent among other bases.",
                 "fr": "Un suivi indiqué sans sa base légale, ou avec le consentement parmi d'autres bases."},
        "met": {"en": "Tracking on your consent only, or ruled out by the policy.",
                "fr": "Un suivi fondé sur votre seul consentement, ou exclu par la politique."},
    },
    "territories": {
        "breach": {"en": "Data are stored in or sent to a place outside your territories, with no transfer mechanism you accept.",
                   "fr": "Des données sont stockées ou envoyées hors de vos territoires, sans mécanisme de transfert que vous acceptez."},
        "open": {"en": "A transfer across borders is stated without saying where to.",
                 "fr": "Un transfert hors des frontières est indiqué sans dire vers où."},
        "met": {"en": "Data stay within your territories, or leave them under a transfer mechanism you accept.",
                "fr": "Les données restent dans vos territoires, ou en sortent sous un mécanisme de transfert que vous acceptez."},
    },
    "retention": {
        "breach": {"en": "A retention period longer than your limit.",
                   "fr": "Une durée de conservation plus longue que votre limite."},
        "open": {"en": "A retention period without a length, or only a minimum.",
                 "fr": "Une durée de conservation sans durée chiffrée, ou seulement minimale."},
        "met": {"en": "A retention period within your limit.",
                "fr": "Une durée de conservation dans votre limite."},
    },
    "no-third-party-disclosure": {
        "breach": {"en": "Data are disclosed to a recipient that is not a processor.",
                   "fr": "Des données sont communiquées à un destinataire qui n'est pas un sous-traitant."},
        "open": {"en": "A disclosure or sharing is stated without saying to whom.",
                 "fr": "Une communication ou un partage est indiqué sans dire à qui."},
        "met": {"en": "Data go to processors only, a disclosure rests on a basis you accept, or the policy rules disclosure out.",
                "fr": "Les données ne vont qu'à des sous-traitants, une communication repose sur une base que vous acceptez, ou la politique exclut la communication."},
    },
    "rights": {
        "open": {"en": "A right you want to exercise, or the channel you want to use, is not stated.",
                 "fr": "Un droit que vous voulez exercer, ou le moyen que vous voulez utiliser, n'est pas indiqué."},
        "met": {"en": "A right you want to exercise, or the channel you want to use, is stated.",
                "fr": "Un droit que vous voulez exercer, ou le moyen que vous voulez utiliser, est indiqué."},
    },
}

# The reason of a verdict: kind -> state -> lang -> text. States: not-met (a breach), open (nothing breaks the
# preference but something leaves it undecided), met, silent (the policy says nothing the preference is about).
VERDICT_TEXTS = {
    "consent-required": {
        "not-met": {"en": "The policy uses your data for this on a legal basis other than your consent.",
                    "fr": "La politique utilise vos données à cette fin sur une autre base légale que votre consentement."},
        "open": {"en": "The policy states this use but does not tie it to your consent alone.",
                 "fr": "La politique indique cet usage sans le faire reposer sur votre seul consentement."},
        "met": {"en": "Every such use the policy states rests on your consent, or the policy rules it out.",
                "fr": "Chaque usage de ce type que la politique indique repose sur votre consentement, ou la politique l'exclut."},
        "silent": {"en": "The policy says nothing of these uses.", "fr": "La politique ne dit rien de ces usages."},
    },
    "no-tracking-without-consent": {
        "not-met": {"en": "The policy tracks you without your consent (an opt-out is not consent).",
                    "fr": "La politique vous suit sans votre consentement (pouvoir s'y opposer n'est pas consentir)."},
        "open": {"en": "The policy states tracking without tying it to your consent alone.",
                 "fr": "La politique indique un suivi sans le faire reposer sur votre seul consentement."},
        "met": {"en": "Tracking rests on your consent, or the policy rules it out.",
                "fr": "Le suivi repose sur votre consentement, ou la politique l'exclut."},
        "silent": {"en": "The policy says nothing of tracking or tracking cookies.",
                   "fr": "La politique ne dit rien de suivi ni de traceurs."},
    },
    "territories": {
        "not-met": {"en": "The policy stores or sends data outside your territories without a transfer mechanism you accept.",
                    "fr": "La politique stocke ou envoie des données hors de vos territoires sans mécanisme de transfert que vous acceptez."},
        "open": {"en": "The policy states a transfer abroad without saying where.",
                 "fr": "La politique indique un transfert à l'étranger sans dire où."},
        "met": {"en": "Every place the policy names is within your territories or covered by a mechanism you accept.",
                "fr": "Chaque lieu que la politique nomme est dans vos territoires ou couvert par un mécanisme que vous acceptez."},
        "silent": {"en": "The policy does not say where the data are stored or sent.",
                   "fr": "La politique ne dit pas où les données sont stockées ni envoyées."},
    },
    "retention": {
        "not-met": {"en": "The policy keeps data longer than your limit.",
                    "fr": "La politique conserve des données plus longtemps que votre limite."},
        "open": {"en": "The policy gives a retention rule without a maximum length (a criterion or only a minimum).",
                 "fr": "La politique donne une règle de conservation sans durée maximale (un critère, ou seulement un minimum)."},
        "met": {"en": "Every retention period the policy states is within your limit.",
                "fr": "Chaque durée de conservation que la politique indique est dans votre limite."},
        "silent": {"en": "The policy states no retention period for these data.",
                   "fr": "La politique n'indique aucune durée de conservation pour ces données."},
    },
    "no-third-party-disclosure": {
        "not-met": {"en": "The policy discloses data to third parties other than processors.",
                    "fr": "La politique communique des données à des tiers autres que des sous-traitants."},
        "open": {"en": "The policy allows a disclosure without saying to whom.",
                 "fr": "La politique permet une communication sans dire à qui."},
        "met": {"en": "The policy discloses data to processors only, or rules disclosure to third parties out.",
                "fr": "La politique ne communique des données qu'à des sous-traitants, ou exclut toute communication à des tiers."},
        "silent": {"en": "The policy says nothing of recipients.", "fr": "La politique ne dit rien des destinataires."},
    },
    "rights": {
        "not-met": {"en": "The policy refuses a right you want to exercise.",
                    "fr": "La politique refuse un droit que vous voulez exercer."},
        "open": {"en": "The policy does not state every right you want to exercise, or the channel you want to use.",
                 "fr": "La politique n'indique pas tous les droits que vous voulez exercer, ou le moyen que vous voulez utiliser."},
        "met": {"en": "The policy states every right you want to exercise, and the channel you want to use.",
                "fr": "La politique indique tous les droits que vous voulez exercer, et le moyen que vous voulez utiliser."},
        "silent": {"en": "The policy names none of the rights you want to exercise.",
                   "fr": "La politique ne nomme aucun des droits que vous voulez exercer."},
    },
}

KIND_TITLES = {
    "consent-required": {"en": "No use of my data for {uses} without my consent",
                         "fr": "Aucun usage de mes données pour {uses} sans mon consentement"},
    "no-tracking-without-consent": {"en": "No tracking cookies or trackers without my consent",
                                    "fr": "Aucun traceur ni cookie de suivi sans mon consentement"},
    "territories": {"en": "Data stay within {within}", "fr": "Les données restent dans : {within}"},
    "retention": {"en": "Data kept at most {max}", "fr": "Données conservées au plus {max}"},
    "no-third-party-disclosure": {"en": "No disclosure to third parties other than processors",
                                  "fr": "Aucune communication à des tiers autres que des sous-traitants"},
    "rights": {"en": "I can exercise my rights: {rights}", "fr": "Je peux exercer mes droits : {rights}"},
}

VERDICT_WORDS = {"met": {"en": "met", "fr": "respectée"}, "not-met": {"en": "not met", "fr": "non respectée"},
                 "unknown": {"en": "unknown", "fr": "inconnue"}}
