"""A synthetic corpus of policy cards for the benchmarks: deterministic, realistic, with planted defects.

    python benchmarks/generate.py --n 10000 --out /tmp/policykg-corpus [--seed 0]

    from benchmarks.generate import generate
    manifest = generate(1000, Path("/tmp/corpus"))   # -> Manifest (also written as manifest.json)

Layout of `out`:
    policies/<slug>/<version>.yaml, sources/<slug>/<version>.fr.txt   cards that load (`policykg build out/policies`)
    invalid/policies/…, invalid/sources/…                             cards with a planted *load* error (a build refuses them)
    manifest.json                                                     the planted defects (ground truth)

Policy i depends only on (seed, i): it is the same card whatever N is, so a 1k corpus is the first 1k
policies of the 10k one. Each card uses real DPV 2.3 terms (checked against the shipped term table), a French
snapshot text that contains every quote once, and a plausible shape: 2-7 processes, each with its
purposes, personal data, operations, legal basis and retention; recipients (named processors with their
country, or categories), storage locations (some outside the EEA, with standard contractual clauses),
security measures, rights, the GDPR and the controller's country.

About 5 % of the policies carry exactly one planted defect (see DEFECTS): a validation defect leaves the
card loadable and must be reported by a SHACL shape on a known focus node; a load defect makes the loader
refuse the card with a known error id.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kg import namespaces as ns  # noqa: E402

GENERATOR_VERSION = 1
DEFECT_RATE = 0.05

# kind -> (category, what is expected). "validation": the card loads; the shape reports the focus node.
# "load": the loader refuses the card with this error id.
DEFECTS: dict[str, dict] = {
    "missing-legal-basis": {"category": "validation", "shape": "core-process-legal-basis", "profile": "core"},
    "missing-purpose": {"category": "validation", "shape": "core-process-purpose", "profile": "core"},
    "missing-personal-data": {"category": "validation", "shape": "core-process-personal-data", "profile": "core"},
    "missing-retention": {"category": "validation", "shape": "gdpr-13-2-a-retention-stated", "profile": "gdpr"},
    "wrong-datatype": {"category": "validation", "shape": "core-duration-datatype", "profile": "core"},
    "transfer-without-mechanism": {"category": "validation", "shape": "gdpr-44-transfer-mechanism", "profile": "gdpr"},
    "unknown-term": {"category": "load", "error_id": "unknown-term"},
    "quote-not-in-snapshot": {"category": "load", "error_id": "quote-not-found"},
    "text-for-a-term": {"category": "load", "error_id": "wrong-value-kind"},
}
# relative weights of the kinds among defective policies
DEFECT_WEIGHTS = {"missing-legal-basis": 3, "missing-purpose": 2, "missing-personal-data": 2,
                  "missing-retention": 3, "wrong-datatype": 2, "transfer-without-mechanism": 3,
                  "unknown-term": 2, "quote-not-in-snapshot": 1, "text-for-a-term": 1}

# --- term pools (curated common terms first; the long tail of personal data comes from DPV) ---------

COMMON_DATA = ["pd:Name", "pd:EmailAddress", "pd:PhysicalAddress", "pd:TelephoneNumber", "pd:IPAddress",
               "pd:BirthDate", "pd:Username", "pd:Password", "pd:PaymentCard", "pd:Transaction", "pd:Purchase",
               "pd:BrowsingBehaviour", "pd:DeviceBased", "pd:Location", "pd:Communication", "pd:Gender",
               "pd:Language", "pd:Preference", "pd:Interest", "pd:BankAccount", "pd:Age", "pd:Country",
               "pd:ServiceConsumptionBehaviour", "pd:UserAgent", "pd:Cookie", "pd:Identifying"]
PURPOSES = ["dpv:ServiceProvision", "dpv:AccountManagement", "dpv:CustomerCare", "dpv:CustomerOrderManagement",
            "dpv:DeliveryOfGoods", "dpv:DirectMarketing", "dpv:ServiceUsageAnalytics", "dpv:ServicePersonalisation",
            "dpv:FraudPreventionAndDetection", "dpv:LegalCompliance", "dpv:ImproveExistingProductsAndServices",
            "dpv:CommunicationManagement", "dpv:CustomerRelationshipManagement", "dpv:Advertising",
            "dpv:IdentityVerification", "dpv:PaymentManagement", "dpv:OptimisationForConsumer",
            "dpv:EnforceSecurity", "dpv:ResearchAndDevelopment", "dpv:RecordManagement"]
OPERATIONS = ["dpv:Collect", "dpv:Store", "dpv:Use", "dpv:Analyse", "dpv:Share", "dpv:Transfer", "dpv:Erase",
              "dpv:Consult", "dpv:Organise", "dpv:Disclose"]
# legal basis per purpose family (a plausible choice, GDPR Art. 6)
BASES = {"contract": "eu-gdpr:A6-1-b-contract-performance", "consent": "eu-gdpr:A6-1-a",
         "legal": "eu-gdpr:A6-1-c", "interest": "eu-gdpr:A6-1-f-controller"}
BASIS_OF = {"dpv:DirectMarketing": "consent", "dpv:Advertising": "consent", "dpv:ServicePersonalisation": "consent",
            "dpv:LegalCompliance": "legal", "dpv:FraudPreventionAndDetection": "interest",
            "dpv:ServiceUsageAnalytics": "interest", "dpv:EnforceSecurity": "interest",
            "dpv:ImproveExistingProductsAndServices": "interest", "dpv:ResearchAndDevelopment": "interest"}
RECIPIENT_CATEGORIES = ["dpv:DataProcessor", "dpv:ThirdParty", "dpv:Authority", "dpv:DataSubProcessor"]
PROCESSOR_KINDS = [("hébergement", "hosting"), ("paiement", "payment"), ("envoi d'e-mails", "e-mail delivery"),
                   ("mesure d'audience", "analytics"), ("support client", "customer support"),
                   ("livraison", "delivery")]
EEA = ["loc:FR", "loc:DE", "loc:IE", "loc:NL", "loc:BE", "loc:ES", "loc:IT", "loc:LU", "loc:SE", "loc:AT"]
THIRD = ["loc:US", "loc:IN", "loc:BR", "loc:SG", "loc:AU"]
MECHANISMS = ["eu-gdpr:A46-2-c", "eu-gdpr:A46-2-b", "eu-gdpr:A49-1-a"]
TECH_MEASURES = ["dpv:EncryptionAtRest", "dpv:EncryptionInTransfer", "dpv:AccessControlMethod",
                 "dpv:WebSecurityProtocols", "dpv:Authentication", "dpv:PseudonymisationTechnique"]
ORG_MEASURES = ["dpv:DataProtectionTraining", "dpv:AuthorisationProcedure", "dpv:StaffTraining",
                "dpv:RegularityOfRecertification"]
SUBJECTS = ["dpv:Customer", "dpv:User", "dpv:Visitor", "dpv:Consumer", "dpv:Subscriber"]
RIGHTS_CORE = ["eu-gdpr:A15", "eu-gdpr:A16", "eu-gdpr:A17"]
RIGHTS_MORE = ["eu-gdpr:A18", "eu-gdpr:A20", "eu-gdpr:A21", "eu-gdpr:A7-3"]
DURATIONS = [("P6M", "six mois"), ("P1Y", "un an"), ("P2Y", "deux ans"), ("P3Y", "trois ans"),
             ("P5Y", "cinq ans"), ("P10Y", "dix ans"), ("P13M", "treize mois"), ("P30D", "trente jours")]
SYLLABLES = ["al", "ber", "co", "da", "el", "fi", "gra", "ho", "in", "jo", "ka", "lu", "mi", "no", "or",
             "pa", "qui", "ro", "sa", "ti", "un", "va", "xe", "zo"]
STREETS = ["rue de la Paix", "avenue Victor Hugo", "boulevard Voltaire", "rue du Commerce", "place Bellecour",
           "quai des Chartrons", "rue Nationale", "allée des Tilleuls"]
CITIES = ["Paris", "Lyon", "Bordeaux", "Lille", "Nantes", "Toulouse", "Strasbourg", "Rennes"]
LEGAL_FORMS = ["SAS", "SARL", "SA", "GmbH", "BV", "Ltd"]


@dataclass
class Defect:
    index: int
    key: str              # slug@version
    kind: str
    category: str         # "validation" or "load"
    card: str             # path of the card, relative to the corpus folder
    shape: str | None = None
    profile: str | None = None
    focus: str | None = None      # IRI of the node the shape reports
    value: str | None = None      # the offending value, where the shape reports one
    error_id: str | None = None   # for load defects
    detail: str = ""


@dataclass
class Manifest:
    seed: int
    n: int
    generator_version: int = GENERATOR_VERSION
    cards: int = 0                # loadable cards (under policies/)
    load_error_cards: int = 0     # cards under invalid/policies/
    statements: int = 0
    defects: list[Defect] = field(default_factory=list)

    @property
    def validation_defects(self) -> list[Defect]:
        return [d for d in self.defects if d.category == "validation"]

    @property
    def load_defects(self) -> list[Defect]:
        return [d for d in self.defects if d.category == "load"]

    def to_json(self) -> str:
        data = asdict(self)
        data["defect_kinds"] = DEFECTS
        return json.dumps(data, ensure_ascii=False, indent=1)

    @classmethod
    def read(cls, path: Path) -> "Manifest":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        data.pop("defect_kinds", None)
        data["defects"] = [Defect(**d) for d in data["defects"]]
        return cls(**data)


@lru_cache(maxsize=1)
def _pools() -> dict[str, list[str]]:
    """The term pools, checked against the shipped DPV term table (absent or sunset terms dropped)."""
    from kg.vocab import load_vocabulary
    vocab = load_vocabulary()

    def real(curies):
        return [c for c in curies if vocab.exists(ns.expand_curie(c)) and not vocab.is_sunset(ns.expand_curie(c))]

    special = ns.expand_curie("dpv:SpecialCategoryPersonalData")
    tail = sorted(ns.shorten(str(t)) for t in vocab._terms
                  if str(t).startswith(ns.PREFIXES["pd"]) and vocab.is_a(t, ns.expand_curie("dpv:PersonalData"))
                  and not vocab.is_a(t, special) and not vocab.is_sunset(t))
    pools = {"data": real(COMMON_DATA), "tail": tail, "purposes": real(PURPOSES), "ops": real(OPERATIONS),
             "recipients": real(RECIPIENT_CATEGORIES), "eea": real(EEA), "third": real(THIRD),
             "mechanisms": real(MECHANISMS), "tech": real(TECH_MEASURES), "org": real(ORG_MEASURES),
             "subjects": real(SUBJECTS), "rights_more": real(RIGHTS_MORE), "rights_core": real(RIGHTS_CORE)}
    labels = {}
    for pool in pools.values():
        for c in pool:
            iri = ns.expand_curie(c)
            labels[c] = vocab.label(iri, "fr") or vocab.label(iri, "en") or c.split(":", 1)[1]
    pools["_labels"] = labels  # type: ignore[assignment]
    return pools


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are YAML)."""
    return json.dumps(text, ensure_ascii=False)


class _Card:
    """Accumulates the snapshot text and the card's YAML lines together, so every quote is in the text."""

    def __init__(self):
        self.paragraphs: list[str] = []
        self.lines: list[str] = []
        self.statements = 0

    def say(self, sentence: str) -> str:
        self.paragraphs.append(sentence)
        return sentence


def policy_card(i: int, seed: int = 0) -> tuple[str, str, str, str, dict | None]:
    """Policy i: (slug, version, card YAML text, snapshot text, planted defect or None)."""
    rng = random.Random(f"policykg-synth:{seed}:{i}")
    pools = _pools()
    label = pools["_labels"]
    slug = f"synth-{i:06d}"
    year = rng.randint(2019, 2025)
    version = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    company = f"{name} {rng.choice(LEGAL_FORMS)}"
    domain = f"{name.lower()}-{i}.example"
    home = rng.choice(pools["eea"])
    defect: dict | None = None
    if rng.random() < DEFECT_RATE:
        kinds = sorted(DEFECT_WEIGHTS)
        defect = {"kind": rng.choices(kinds, weights=[DEFECT_WEIGHTS[k] for k in kinds])[0]}

    text: list[str] = [f"Politique de confidentialité — {company}"]
    body: list[str] = []   # YAML lines
    n_statements = 0
    graph = ns.policy_graph_iri(slug, version)

    def sentence(s: str) -> str:
        text.append(s)
        return s

    def statement(indent: str, sid: str, quote: str, props: list[str]) -> None:
        nonlocal n_statements
        n_statements += 1
        body.append(f"{indent}- id: {sid}")
        body.append(f"{indent}  quote: {_q(quote)}")
        body.extend(f"{indent}  {p}" for p in props)

    def flow(curies: list[str]) -> str:
        return curies[0] if len(curies) == 1 else "[" + ", ".join(curies) + "]"

    def fr_list(curies: list[str]) -> str:
        words = [label[c].lower() for c in curies]
        return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " et " + words[-1]

    # -- the notice ---------------------------------------------------------------------------
    day = f"{version[8:10]}/{version[5:7]}/{version[:4]}"
    rights = pools["rights_core"] + sorted(rng.sample(pools["rights_more"], rng.randint(1, len(pools["rights_more"]))))
    body += ["policykg: 1", "", "policy:", f"  slug: {slug}", f'  version: "{version}"',
             f"  title: {_q('Politique de confidentialité — ' + company)}", "  language: fr",
             f'  modified: "{version}"', "  source:", f'    url: "https://{domain}/confidentialite"',
             f'    snapshot: "{slug}/{version}.fr.txt"', "    sha256: @SHA256@", f'    retrieved: "{version}"',
             "  statements:"]
    statement("    ", "N01", sentence(f"Dernière mise à jour : {day}"), ["a: dpv:PrivacyNotice"])
    statement("    ", "N02", sentence(f"{company} traite vos données conformément au Règlement général sur la "
                                       f"protection des données (RGPD) et au droit applicable ({label[home]})."),
              ["dpv:hasApplicableLaw: legal-eu:law-GDPR", f"dpv:hasJurisdiction: {home}"])
    statement("    ", "N03", sentence("Vous disposez des droits suivants sur vos données : " + fr_list(rights) + "."),
              [f"dpv:hasRight: {flow(rights)}"])
    statement("    ", "N04", sentence("Vous pouvez introduire une réclamation auprès de l'autorité de contrôle "
                                       f"de votre pays, et nous écrire à dpo@{domain} pour exercer vos droits."),
              ["dpv:hasRight: eu-gdpr:A77", "dpv:isExercisedAt: dpv:RightExerciseNotice"])

    # -- the controller -------------------------------------------------------------------------
    street = f"{rng.randint(1, 120)} {rng.choice(STREETS)}, {rng.randint(10, 95)}{rng.randint(0, 999):03d} {rng.choice(CITIES)}"
    body += ["", "controller:", "  id: controller", "  statements:"]
    statement("    ", "C01", sentence(f"Le responsable du traitement est {company}, {street}."),
              ["a: [dpv:DataController, dpv:ForProfitOrganisation]", f"dpv:hasName: {_q(company)}",
               f"dpv:hasAddress: {_q(street)}", f"dpv:hasLocation: {home}"])
    statement("    ", "C02", sentence(f"Contact : privacy@{domain}"), [f"dpv:hasContact: {_q('privacy@' + domain)}"])

    # -- processes ------------------------------------------------------------------------------
    n_proc = rng.choices([2, 3, 4, 5, 6, 7], weights=[2, 5, 6, 4, 2, 1])[0]
    purposes = rng.sample(pools["purposes"], n_proc)
    body += ["", "processes:", "  - id: all-processing", "    scope: policy",
             "    label: {fr: \"Tous les traitements\", en: \"All processing\"}", "    statements:"]
    subjects = sorted(rng.sample(pools["subjects"], rng.randint(1, 3)))
    statement("      ", "G01", sentence("Cette politique concerne nos " + fr_list(subjects) +
                                        ", dont nous collectons les données directement auprès d'eux."),
              [f"dpv:hasDataSubject: {flow(subjects)}", "dpv:hasProcessing: dpv:Collect",
               "dpv:hasDataSource: dpv:DataSubjectDataSource"])
    tech = sorted(rng.sample(pools["tech"], rng.randint(1, 3)))
    org = sorted(rng.sample(pools["org"], rng.randint(0, 2)))
    props = [f"dpv:hasTechnicalMeasure: {flow(tech)}"] + ([f"dpv:hasOrganisationalMeasure: {flow(org)}"] if org else [])
    statement("      ", "G02", sentence("Pour protéger vos données, nous mettons en œuvre les mesures suivantes : " +
                                        fr_list(tech + org) + "."), props)

    defect_at = rng.randrange(n_proc) if defect else -1
    for k, purpose in enumerate(purposes, start=1):
        pid = f"p{k}"
        planted = defect["kind"] if defect and k - 1 == defect_at else None
        data = sorted(set(rng.sample(pools["data"], rng.randint(1, 4)) +
                          (rng.sample(pools["tail"], 1) if rng.random() < 0.3 else [])))
        ops = sorted(rng.sample(pools["ops"], rng.randint(1, 3)))
        basis_kind = BASIS_OF.get(purpose, "contract")
        body += [f"  - id: {pid}", f"    label: {{fr: {_q(label[purpose])}, en: {_q(purpose.split(':')[1])}}}",
                 "    statements:"]
        sfx = f" (traitement {k})"
        props = []
        if planted != "missing-purpose":
            props.append(f"dpv:hasPurpose: {purpose}" if planted != "text-for-a-term"
                         else f"dpv:hasPurpose: {{fr: {_q(label[purpose])}}}")
        if planted != "missing-personal-data":
            shown = data
            if planted == "unknown-term":
                shown = [data[0][:-2] + data[0][-1:] if len(data[0]) > 6 else data[0] + "x"] + data[1:]
                defect["detail"] = f"{shown[0]} (misspelt {data[0]})"
            props.append(f"dpv:hasPersonalData: {flow(shown)}")
        props.append(f"dpv:hasProcessing: {flow(ops)}")
        quote = sentence(f"Finalité : {label[purpose].lower()}{sfx}. Nous traitons à cette fin les données "
                         f"suivantes : {fr_list(data)}.")
        if planted == "quote-not-in-snapshot":
            defect["detail"] = "the card's quote has a typo the snapshot does not"
            quote = quote.replace("Nous traitons", "Nous traiton", 1)
        statement("      ", f"S{k}a", quote, props)
        if planted != "missing-legal-basis":
            basis = BASES[basis_kind]
            words = {"contract": "l'exécution du contrat qui nous lie", "consent": "votre consentement",
                     "legal": "nos obligations légales", "interest": "notre intérêt légitime"}[basis_kind]
            statement("      ", f"S{k}b", sentence(f"Ce traitement{sfx} repose sur {words}."),
                      [f"dpv:hasLegalBasis: {basis}"])
        if planted != "missing-retention":
            duration, words = rng.choice(DURATIONS)
            value = f"{{duration: {duration}}}" if planted != "wrong-datatype" else f"{{integer: {duration[1:-1]}}}"
            statement("      ", f"S{k}c", sentence(f"Les données de ce traitement{sfx} sont conservées {words} "
                                                   "puis supprimées."),
                      ["dpv:hasStorageCondition:", f"  id: {pid}-retention", "  a: dpv:StorageDuration",
                       "  dpv:hasDuration:", f"    id: {pid}-duration", "    a: dpv:TemporalDuration",
                       f"    rdf:value: {value}"])
            if planted == "wrong-datatype":
                defect.update(focus=f"{graph}#{pid}-duration", detail=f"rdf:value {duration[1:-1]} as xsd:integer")
        transfer = planted == "transfer-without-mechanism" or (rng.random() < 0.2 and planted != "missing-legal-basis")
        if rng.random() < 0.45 or transfer:
            kind_fr, kind_en = rng.choice(PROCESSOR_KINDS)
            where = rng.choice(pools["third"]) if transfer else rng.choice(pools["eea"])
            vendor = "".join(rng.choice(SYLLABLES) for _ in range(2)).capitalize() + " Services"
            props = ["dpv:hasRecipient:", f"  id: {pid}-processor", "  a: dpv:DataProcessor",
                     f"  dpv:hasName: {_q(vendor)}", f"  dpv:hasLocation: {where}"]
            quote = f"Nous faisons appel à {vendor}, notre prestataire de {kind_fr} situé en/au {label[where]}{sfx}"
            if transfer and planted != "transfer-without-mechanism":
                mech = rng.choice(pools["mechanisms"])
                props.append(f"dpv:hasLegalBasis: {mech}")
                quote += ", dans le cadre de garanties appropriées (clauses contractuelles types ou dérogation)"
            elif planted == "transfer-without-mechanism":
                defect.update(value=ns.expand_curie(where), detail=f"processor in {where}, no mechanism")
            statement("      ", f"S{k}d", sentence(quote + "."), props)
        elif rng.random() < 0.3:
            cats = sorted(rng.sample(pools["recipients"], rng.randint(1, 2)))
            statement("      ", f"S{k}d", sentence(f"Les données de ce traitement{sfx} peuvent être communiquées "
                                                   f"aux destinataires suivants : {fr_list(cats)}."),
                      [f"dpv:hasRecipient: {flow(cats)}", "dpv:hasProcessing: dpv:Disclose"])
        if planted:
            if DEFECTS[planted]["category"] == "validation" and "focus" not in defect:
                defect["focus"] = f"{graph}#{pid}"
            defect["process"] = pid

    snapshot = "\n\n".join(text)
    card = "\n".join(body).replace("@SHA256@", hashlib.sha256(snapshot.encode("utf-8")).hexdigest()) + "\n"
    header = (f"# Synthetic policy card {i} (benchmarks/generate.py, seed {seed}, generator v{GENERATOR_VERSION}): "
              "not a real company.\n")
    return slug, version, header + card, snapshot, defect


def generate(n: int, out_dir: Path, seed: int = 0, *, start: int = 0) -> Manifest:
    """Write policies start..n-1 into out_dir (cards, snapshots, manifest.json) and return the manifest."""
    out_dir = Path(out_dir)
    manifest = Manifest(seed=seed, n=n)
    made: set[Path] = set()
    for i in range(start, n):
        slug, version, card, snapshot, defect = policy_card(i, seed)
        load_error = defect is not None and DEFECTS[defect["kind"]]["category"] == "load"
        base = out_dir / "invalid" if load_error else out_dir
        card_path = base / "policies" / slug / f"{version}.yaml"
        snap_path = base / "sources" / slug / f"{version}.fr.txt"
        for folder in (card_path.parent, snap_path.parent):
            if folder not in made:
                folder.mkdir(parents=True, exist_ok=True)
                made.add(folder)
        card_path.write_text(card, encoding="utf-8")
        snap_path.write_bytes(snapshot.encode("utf-8"))
        manifest.statements += card.count("  quote: ")
        if load_error:
            manifest.load_error_cards += 1
        else:
            manifest.cards += 1
        if defect:
            kind = defect["kind"]
            spec = DEFECTS[kind]
            manifest.defects.append(Defect(
                index=i, key=f"{slug}@{version}", kind=kind, category=spec["category"],
                card=str(card_path.relative_to(out_dir)), shape=spec.get("shape"), profile=spec.get("profile"),
                focus=defect.get("focus"), value=defect.get("value"), error_id=spec.get("error_id"),
                detail=defect.get("detail", "") or f"process {defect.get('process')}"))
    (out_dir / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of policies")
    parser.add_argument("--out", type=Path, default=Path("/tmp/policykg-corpus"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import time
    t = time.perf_counter()
    m = generate(args.n, args.out, args.seed)
    kinds: dict[str, int] = {}
    for d in m.defects:
        kinds[d.kind] = kinds.get(d.kind, 0) + 1
    print(f"{args.n} policies in {args.out} ({m.cards} loadable, {m.load_error_cards} with a load error, "
          f"{m.statements} statements) in {time.perf_counter() - t:.1f} s; planted defects: "
          + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))


if __name__ == "__main__":
    main()
