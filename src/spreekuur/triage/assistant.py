"""The practice FAQ assistant: answers practical questions from the practice's own FAQ and
facts, and never gives medical advice.

A question goes through these steps, in this order:

1. an emergency check (112, and 113 for thoughts of suicide);
2. a medical check: symptoms, body parts (with a complaint), medicines and doses, "is dit
   ernstig", "wat moet ik doen bij ..." go to self-triage, while practical questions that
   only mention medicine or illness administratively (a repeat prescription, the
   pharmacy, a certificate for work, "uitslag" as a test result) do not;
3. BM25 retrieval (bm25s, numpy only, no scipy) over the FAQ entries: question and
   keywords weigh more than the answer; Dutch stop words out, snowball stems, separable
   verbs joined ("zeg ... af" -> "afzeggen"), compounds and light typos matched to the
   FAQ's own words. The best entry is answered when its score and the share of the
   question's words it holds (weighed by IDF, words the FAQ does not know weighing most)
   are high enough;
4. otherwise a personal statement ("ik heb ...", "mijn zoon is ...") is taken for a
   complaint and sent to self-triage, and anything else gets "Dat weet ik niet zeker"
   with the practice's phone number.

Pure Python: no models, no database. Nothing of a question is kept.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import snowballstemmer
from django.utils.translation import gettext, gettext_noop

if TYPE_CHECKING:
    import bm25s

MAX_QUESTION_LENGTH = 500

# Retrieval thresholds, tuned on tests/triage/test_assistant.py (PRACTICAL and OFF_TOPIC).
# The BM25 score of the best entry is measured in units of the IDF of a word that only one
# entry holds, so that the thresholds do not depend on how many entries the practice has
# (with the 36 defaults one unit is a score of 3.2).
MIN_SCORE = 0.31
MIN_COVERAGE = 0.36  # share (weighed by IDF) of the question's words the best entry holds
FULL_COVERAGE = 0.99  # when not (nearly) all of them, the score must reach PARTIAL_SCORE
PARTIAL_SCORE = 0.55
UNKNOWN_WEIGHT = 1.5  # a word the FAQ does not know, against the IDF of a known one
# Light typos ("wachtwoort") and compounds ("bloeddrukpillen") match a word of the FAQ's
# questions and keywords, at TYPO_WEIGHT in the coverage.
MIN_TYPO_LENGTH = 6
MIN_COMPOUND_LENGTH = 8  # compounds: "bloeddruk|pillen", "parkeer|gelegenheid"
MIN_COMPOUND_PART = 3  # the shortest part split off
MIN_COMPOUND_TAIL = 5  # the shortest last part that counts on its own ("pillen", "kweek")
MIN_COMPOUND_FIRST = 7  # the shortest first part that counts on its own
TYPO_CUTOFF = 0.85
TYPO_WEIGHT = 0.5
# Weights of the parts of an entry in the index (by repetition).
QUESTION_WEIGHT = 3
KEYWORD_WEIGHT = 2
ANSWER_WEIGHT = 1


@dataclass(frozen=True)
class FaqEntry:
    key: str  # slug, stable id
    question: str  # the canonical question, Dutch
    # May contain the placeholders {practice_name} {phone_main} {phone_urgent} {hap_name}
    # {hap_phone} {address} {opening_hours}.
    answer: str
    keywords: tuple[str, ...] = ()  # extra words and synonyms to match


@dataclass(frozen=True)
class PracticeFacts:
    practice_name: str
    phone_main: str
    phone_urgent: str
    hap_name: str
    hap_phone: str
    address: str  # "Dorpsstraat 1, 1234 AB Plaats"
    opening_hours: str  # already formatted, e.g. "maandag t/m vrijdag 08:00-17:00"


class ReplyKind(enum.StrEnum):
    # Templates compare with the class ({% if reply.kind == kinds.MEDICAL %}); like Django's
    # own Choices it must not be called there.
    do_not_call_in_templates = enum.nonmember(True)

    ANSWER = "antwoord"
    MEDICAL = "medisch"
    UNKNOWN = "onbekend"
    EMERGENCY = "spoed"


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    text: str  # what the chat shows (placeholders filled)
    entry_key: str | None  # the FAQ entry answered from, if any
    score: float


# --------------------------------------------------------------------------------------
# The canned replies (translated when shown; placeholders filled from PracticeFacts).

EMPTY_TEXT = gettext_noop(
    "Typ hieronder uw vraag. Bijvoorbeeld: Hoe vraag ik een herhaalrecept aan? "
    "Of: Wat zijn de openingstijden?"
)
UNKNOWN_TEXT = gettext_noop(
    "Dat weet ik niet zeker. Bel de praktijk: {phone_main}. De assistent helpt u graag. "
    "U kunt uw vraag ook op een andere manier stellen."
)
MEDICAL_TEXT = gettext_noop(
    "Op medische vragen geef ik geen antwoord: ik geef geen medisch advies. "
    "Doe de zelftriage. U beantwoordt een paar korte vragen en ziet dan wat u het beste "
    "kunt doen. U kunt ook de praktijk bellen: {phone_main}. Is het dringend? Bel overdag "
    "{phone_urgent}. 's Avonds, 's nachts en in het weekend belt u {hap_name}: {hap_phone}. "
    "Bij levensgevaar belt u 112."
)
EMERGENCY_TEXT = gettext_noop(
    "Dit kan levensgevaarlijk zijn. Bel nu 112. "
    "Twijfelt u? Bel overdag direct de spoedlijn: {phone_urgent}. 's Avonds, 's nachts en in "
    "het weekend belt u {hap_name}: {hap_phone}."
)
SUICIDE_TEXT = gettext_noop(
    "Denkt u aan zelfdoding? U staat er niet alleen voor. Bel nu 113 Zelfmoordpreventie: "
    "0800-0113 (gratis, dag en nacht), of chat via 113.nl. Is er direct gevaar? Bel 112. "
    "U kunt ook de praktijk bellen: {phone_urgent}, of 's avonds en in het weekend "
    "{hap_name}: {hap_phone}."
)

# --------------------------------------------------------------------------------------
# The default FAQ of a Dutch GP practice (B1, "u"). Marked for translation; answered in
# the active language. Limits of the practice's own answers (FaqAnswer): question 200,
# answer 1500, keywords joined with ", " 300 characters.

DEFAULT_FAQ: tuple[FaqEntry, ...] = (
    FaqEntry(
        key="openingstijden",
        question=gettext_noop("Wat zijn de openingstijden van de praktijk?"),
        answer=gettext_noop(
            "{practice_name} is open op: {opening_hours}. In die tijd kunt u ons bellen op "
            "{phone_main}. Is de praktijk dicht en kan uw vraag niet wachten tot wij weer "
            "open zijn? Bel dan {hap_name}: {hap_phone}. Bij levensgevaar belt u 112."
        ),
        keywords=(
            "openingstijden",
            "open",
            "geopend",
            "openingsuren",
            "tijden",
            "dicht",
            "gesloten",
            "hoe laat",
            "lunchpauze",
            "middagpauze",
            "tussen de middag",
            "maandag",
            "dinsdag",
            "woensdag",
            "donderdag",
            "vrijdag",
            "bereikbaar",
        ),
    ),
    FaqEntry(
        key="inschrijven",
        question=gettext_noop("Hoe schrijf ik mij in als nieuwe patiënt?"),
        answer=gettext_noop(
            "Wilt u patiënt worden bij {practice_name}? Vul het inschrijfformulier in op "
            "onze website, of haal het op bij de balie: {address}. Neem uw identiteitsbewijs "
            "en uw zorgpas mee. Schrijft u ook kinderen in? Vul dan voor ieder kind een "
            "formulier in. Woont u buiten ons werkgebied of is de praktijk vol? Dan laten "
            "wij u dat weten. Vragen? Bel {phone_main}."
        ),
        keywords=(
            "inschrijven",
            "inschrijving",
            "inschrijfformulier",
            "aanmelden",
            "aanmelding",
            "nieuwe patiënten",
            "patiënt worden",
            "aannemen",
            "patiëntenstop",
            "vol",
            "plek",
            "werkgebied",
            "baby inschrijven",
            "nieuw in de buurt",
        ),
    ),
    FaqEntry(
        key="urine",
        question=gettext_noop("Waar en wanneer kan ik urine inleveren?"),
        answer=gettext_noop(
            "Lever uw urine (plas) in bij de balie van de praktijk, {address}. Dat kan "
            "tijdens de openingstijden: {opening_hours}. Breng de urine het liefst 's "
            "ochtends, dan kijken wij er dezelfde dag naar. Gebruik een schoon potje van de "
            "praktijk of de apotheek en vang de eerste plas van de ochtend op. Schrijf uw "
            "naam en geboortedatum op het potje. Voor de uitslag belt u {phone_main}."
        ),
        keywords=(
            "plas",
            "plasje",
            "urinemonster",
            "urineonderzoek",
            "potje",
            "urinepotje",
            "inleveren",
            "brengen",
            "afgeven",
            "ochtendurine",
            "monster",
            "afleveren",
        ),
    ),
    FaqEntry(
        key="herhaalrecept",
        question=gettext_noop("Hoe vraag ik een herhaalrecept aan?"),
        answer=gettext_noop(
            "Gebruikt u al langer dezelfde medicijnen? Vraag een herhaalrecept aan in het "
            "patiëntenportaal, of bel de receptenlijn via {phone_main}. Doe dit minstens 3 "
            "werkdagen voordat uw medicijnen op zijn. De huisarts stuurt het recept naar uw "
            "apotheek. Daar haalt u de medicijnen op. Heeft u een nieuw medicijn nodig of "
            "wilt u iets veranderen? Maak dan een afspraak."
        ),
        keywords=(
            "recept",
            "recepten",
            "herhaalrecepten",
            "herhaalmedicatie",
            "medicijnen",
            "medicatie",
            "pillen",
            "tabletten",
            "bestellen",
            "nabestellen",
            "herhalen",
            "apotheek",
            "ophalen",
            "receptenlijn",
            "bijna op",
            "klaar",
            "aanvragen",
        ),
    ),
    FaqEntry(
        key="waarneming",
        question=gettext_noop("Wie vervangt de huisarts tijdens vakantie of afwezigheid?"),
        answer=gettext_noop(
            "Is de praktijk dicht door vakantie of scholing, of is uw huisarts afwezig? "
            "Dan neemt een andere huisarts de zorg over. Dat heet waarneming. Op onze "
            "website en als u belt naar {phone_main} hoort u wie er waarneemt. Bij spoed "
            "buiten openingstijden belt u {hap_name}: {hap_phone}."
        ),
        keywords=(
            "vervanger",
            "vervanging",
            "vervangen",
            "waarnemer",
            "waarneming",
            "waarneemt",
            "afwezig",
            "er niet",
            "vrij",
            "andere dokter",
            "invaller",
            "gesloten",
            "scholing",
            "vakantiesluiting",
            "vakantie",
        ),
    ),
    FaqEntry(
        key="avond-weekend",
        question=gettext_noop("Wat is de huisartsenpost en wanneer belt u die?"),
        answer=gettext_noop(
            "Heeft u 's avonds, 's nachts, in het weekend of op een feestdag dringend een "
            "huisarts nodig, en kan het niet wachten tot de praktijk weer open is? Bel dan "
            "{hap_name}: {hap_phone}. Bel altijd eerst; u kunt niet zonder afspraak "
            "langskomen. Bij levensgevaar belt u 112."
        ),
        keywords=(
            "huisartsenpost",
            "hap",
            "avond",
            "nacht",
            "weekend",
            "zaterdag",
            "zondag",
            "feestdag",
            "feestdagen",
            "nachtdienst",
            "dokterswacht",
            "buiten kantoortijd",
            "dienstdoende huisarts",
        ),
    ),
    FaqEntry(
        key="spoed",
        question=gettext_noop("Wat doe ik bij spoed overdag?"),
        answer=gettext_noop(
            "Heeft u overdag een vraag die niet kan wachten? Bel dan de spoedlijn van de "
            "praktijk: {phone_urgent}. Bij levensgevaar, zoals bewusteloosheid of pijn op "
            "de borst, belt u direct 112. Buiten openingstijden belt u {hap_name}: "
            "{hap_phone}."
        ),
        keywords=(
            "spoedlijn",
            "spoednummer",
            "spoedgeval",
            "noodgeval",
            "noodnummer",
            "dringend",
            "urgent",
            "acuut",
            "meteen",
            "direct",
            "haast",
            "spoedeisend",
        ),
    ),
    FaqEntry(
        key="telefoon",
        question=gettext_noop("Wat is het telefoonnummer van de praktijk?"),
        answer=gettext_noop(
            "U belt {practice_name} op {phone_main}. Voor spoed belt u {phone_urgent}. Wilt "
            "u een afspraak maken? Bel dan het liefst 's ochtends. Buiten openingstijden "
            "belt u {hap_name}: {hap_phone}."
        ),
        keywords=(
            "telefoon",
            "nummer",
            "telefoonnummer",
            "bellen",
            "bereiken",
            "contact",
            "telefonisch",
            "opbellen",
            "contactgegevens",
            "contact opnemen",
        ),
    ),
    FaqEntry(
        key="adres",
        question=gettext_noop("Wat is het adres van de praktijk?"),
        answer=gettext_noop(
            "U vindt {practice_name} op dit adres: {address}. Wij zijn open op: "
            "{opening_hours}. Heeft u hulp nodig bij de route? Bel ons: {phone_main}."
        ),
        keywords=(
            "adres",
            "bezoekadres",
            "locatie",
            "route",
            "routebeschrijving",
            "vinden",
            "zitten",
            "gevestigd",
            "straat",
            "postcode",
            "bus",
            "openbaar vervoer",
            "komen",
        ),
    ),
    FaqEntry(
        key="parkeren",
        question=gettext_noop("Kan ik bij de praktijk parkeren?"),
        answer=gettext_noop(
            "Bij de praktijk ({address}) kunt u meestal in de straat parkeren. Let op de "
            "borden: soms geldt een blauwe zone of betaald parkeren. Bent u slecht ter been "
            "of heeft u een gehandicaptenparkeerkaart? Bel ons op {phone_main}. Dan vertellen "
            "wij u waar u het dichtst bij de ingang kunt parkeren."
        ),
        keywords=(
            "parkeren",
            "parkeerplaats",
            "parkeerplek",
            "auto",
            "parkeergarage",
            "blauwe zone",
            "parkeerschijf",
            "parkeerkaart",
            "invalidenparkeerplaats",
            "fietsenstalling",
            "stallen",
        ),
    ),
    FaqEntry(
        key="econsult",
        question=gettext_noop("Kan ik mijn vraag online stellen met een e-consult?"),
        answer=gettext_noop(
            "Ja. Met een e-consult stelt u een vraag aan de huisarts in het "
            "patiëntenportaal. Dat is handig voor vragen die niet dringend zijn, zoals een "
            "vraag over een uitslag of een korte controlevraag. U krijgt binnen 2 werkdagen "
            "antwoord. Heeft u spoed? Gebruik dan geen e-consult, maar bel {phone_urgent}."
        ),
        keywords=(
            "econsult",
            "e-consult",
            "online",
            "internet",
            "digitaal",
            "mail",
            "mailen",
            "email",
            "e-mail",
            "bericht",
            "berichtje",
            "sturen",
            "vraag stellen",
            "chatten",
            "appen",
            "whatsapp",
        ),
    ),
    FaqEntry(
        key="afspraak-maken",
        question=gettext_noop("Hoe maak ik een afspraak?"),
        answer=gettext_noop(
            "U maakt een afspraak in het patiëntenportaal of door te bellen naar "
            "{phone_main}. Bel het liefst 's ochtends. De assistent vraagt kort naar de "
            "reden. Zo krijgt u de juiste zorgverlener en genoeg tijd. Heeft u meer dan één "
            "vraag? Zeg dat dan, dan plannen wij een dubbele afspraak. U komt altijd op "
            "afspraak; zonder afspraak langskomen kan niet."
        ),
        keywords=(
            "afspraak",
            "afspraken",
            "inplannen",
            "plannen",
            "langskomen",
            "spreekuur",
            "dokter zien",
            "huisarts spreken",
            "reserveren",
            "boeken",
            "zonder afspraak",
            "inloopspreekuur",
            "dubbele afspraak",
        ),
    ),
    FaqEntry(
        key="afspraak-afzeggen",
        question=gettext_noop("Hoe zeg ik een afspraak af of verzet ik die?"),
        answer=gettext_noop(
            "Kunt u niet komen? Zeg uw afspraak dan minstens 24 uur van tevoren af. Dat kan "
            "in het patiëntenportaal of door te bellen naar {phone_main}. Zo kan een andere "
            "patiënt uw plek krijgen. Zegt u niet of te laat af? Dan kunnen wij de afspraak "
            "in rekening brengen."
        ),
        keywords=(
            "afzeggen",
            "annuleren",
            "afmelden",
            "verzetten",
            "verplaatsen",
            "wijzigen",
            "niet komen",
            "verhinderd",
            "cancelen",
            "andere datum",
            "ander tijdstip",
            "omzetten",
        ),
    ),
    FaqEntry(
        key="uitslagen",
        question=gettext_noop("Hoe krijg ik de uitslag van mijn onderzoek?"),
        answer=gettext_noop(
            "Uitslagen van bloed-, urine- of ander onderzoek ziet u in het "
            "patiëntenportaal zodra de huisarts ze heeft bekeken. U kunt ook bellen: "
            "{phone_main}. De assistent vertelt u de uitslag, of de huisarts belt u terug als "
            "dat nodig is. Uitslagen van bloedonderzoek zijn meestal na 2 tot 3 werkdagen "
            "bekend. Wilt u uitleg over wat een uitslag voor u betekent? Maak dan een "
            "belafspraak met de huisarts."
        ),
        keywords=(
            "uitslag",
            "uitslagen",
            "resultaat",
            "resultaten",
            "labuitslag",
            "labuitslagen",
            "testuitslag",
            "bloeduitslag",
            "lab",
            "laboratorium",
            "bloedonderzoek",
            "kweek",
            "opvragen",
            "binnen",
            "bekend",
            "horen",
        ),
    ),
    FaqEntry(
        key="bloedprikken",
        question=gettext_noop("Waar kan ik bloed laten prikken?"),
        answer=gettext_noop(
            "Heeft de huisarts bloedonderzoek aangevraagd? Dan laat u bloed prikken bij een "
            "prikpost van het laboratorium. Neem het aanvraagformulier en uw "
            "identiteitsbewijs mee. Op het formulier staat of u nuchter moet komen. De "
            "assistent vertelt u waar de dichtstbijzijnde prikpost is en wanneer die open "
            "is: {phone_main}."
        ),
        keywords=(
            "bloedprikken",
            "bloedafname",
            "prikpost",
            "priklocatie",
            "prikken",
            "laboratorium",
            "bloedonderzoek",
            "bloedtest",
            "bloed afnemen",
            "nuchter",
            "aanvraagformulier",
            "labformulier",
            "buisjes",
        ),
    ),
    FaqEntry(
        key="visite",
        question=gettext_noop("Komt de huisarts bij mij thuis?"),
        answer=gettext_noop(
            "Kunt u door ziekte of een beperking echt niet naar de praktijk komen? Dan kan "
            "de huisarts bij u thuis komen. Dat heet een visite. Bel voor een visite het "
            "liefst vóór 10:00 uur: {phone_main}. De assistent overlegt met de huisarts. In "
            "de praktijk kan de huisarts u vaak beter onderzoeken. Kom daarom als het kan "
            "naar de praktijk."
        ),
        keywords=(
            "visite",
            "huisbezoek",
            "huisbezoeken",
            "thuis",
            "aan huis",
            "thuisbezoek",
            "bedlegerig",
            "slecht ter been",
            "de deur niet uit",
            "niet naar de praktijk",
            "langs komen",
        ),
    ),
    FaqEntry(
        key="griepprik",
        question=gettext_noop("Wanneer krijg ik de griepprik?"),
        answer=gettext_noop(
            "De griepprik is elk jaar in het najaar, meestal in oktober of november. Bent u "
            "60 jaar of ouder, of hoort u bij een risicogroep? Dan krijgt u een uitnodiging "
            "met de datum en tijd. Kunt u dan niet, of heeft u geen uitnodiging gekregen "
            "terwijl u die wel verwacht? Bel ons: {phone_main}. De coronaprik krijgt u "
            "meestal via de GGD."
        ),
        keywords=(
            "griepprik",
            "griepvaccinatie",
            "griepvaccin",
            "griepspuit",
            "prik",
            "inenting",
            "uitnodiging",
            "najaar",
            "oktober",
            "november",
            "coronaprik",
            "coronavaccinatie",
            "pneumokokkenprik",
            "jaarlijkse prik",
        ),
    ),
    FaqEntry(
        key="reisvaccinatie",
        question=gettext_noop("Waar haal ik vaccinaties voor een verre reis?"),
        answer=gettext_noop(
            "Voor reisvaccinaties en reisadvies, bijvoorbeeld over malaria, gaat u naar de "
            "GGD of een reisvaccinatiebureau. Doe dit 6 tot 8 weken voor vertrek. De "
            "huisarts geeft zelf meestal geen reisvaccinaties. De kosten betaalt u vaak "
            "zelf; soms vergoedt uw aanvullende verzekering een deel. Neem uw "
            "vaccinatieboekje (het gele boekje) mee."
        ),
        keywords=(
            "reis",
            "reizen",
            "buitenland",
            "verre reis",
            "tropen",
            "inentingen",
            "vaccinaties",
            "prikken",
            "reisadvies",
            "gele boekje",
            "malaria",
            "hepatitis",
            "gele koorts",
            "ggd",
            "reisvaccinatiebureau",
            "op vakantie",
        ),
    ),
    FaqEntry(
        key="verklaring",
        question=gettext_noop("Kan ik een doktersverklaring of medische verklaring krijgen?"),
        answer=gettext_noop(
            "Een huisarts schrijft geen verklaring over de eigen patiënten voor "
            "bijvoorbeeld uw werkgever, school, sportclub of verzekering. Dat is de regel "
            "voor artsen. Wel kan de huisarts u gegevens uit uw dossier geven, zoals een "
            "lijst van uw medicijnen. Voor een keuring, bijvoorbeeld voor uw rijbewijs, gaat "
            "u naar een onafhankelijke keuringsarts. Daarvoor betaalt u zelf. Bent u ziek en "
            "gaat het om uw werk? Dan is de bedrijfsarts er voor u. Vragen? Bel {phone_main}."
        ),
        keywords=(
            "verklaring",
            "doktersverklaring",
            "briefje",
            "doktersbriefje",
            "attest",
            "werkgever",
            "school",
            "sportclub",
            "keuring",
            "rijbewijskeuring",
            "sportkeuring",
            "rijbewijs",
            "gezondheidsverklaring",
            "bedrijfsarts",
            "ziekmelding",
        ),
    ),
    FaqEntry(
        key="kosten",
        question=gettext_noop("Wat kost zorg die niet vergoed wordt?"),
        answer=gettext_noop(
            "Zorg van de huisarts wordt vergoed door uw zorgverzekering. U betaalt voor de "
            "huisarts geen eigen risico. Sommige dingen betaalt u wel zelf, zoals een "
            "keuring, een verklaring of een reisvaccinatie. De tarieven hangen in de "
            "praktijk en staan op onze website. Bent u niet verzekerd? Bel ons dan vooraf: "
            "{phone_main}."
        ),
        keywords=(
            "kosten",
            "kost",
            "tarief",
            "tarieven",
            "prijs",
            "prijzen",
            "betalen",
            "rekening",
            "factuur",
            "vergoed",
            "vergoeding",
            "eigen risico",
            "gratis",
            "zelf betalen",
            "niet verzekerd",
            "zorgverzekering",
        ),
    ),
    FaqEntry(
        key="inzage-dossier",
        question=gettext_noop("Kan ik mijn medisch dossier inzien?"),
        answer=gettext_noop(
            "Ja, u heeft recht op inzage in uw medisch dossier. Een deel ziet u in het "
            "patiëntenportaal. Wilt u het hele dossier zien of een kopie? Vraag dit aan bij "
            "de assistent of via {phone_main}. Neem bij het ophalen uw identiteitsbewijs "
            "mee. Een kopie is gratis. Klopt er iets niet in uw dossier? Dan kunt u vragen "
            "om het te verbeteren."
        ),
        keywords=(
            "dossier",
            "medisch dossier",
            "inzage",
            "inzien",
            "kopie",
            "afschrift",
            "bekijken",
            "patiëntendossier",
            "wat staat er over mij",
            "verbeteren",
            "correctie",
            "lezen",
            "medische gegevens",
        ),
    ),
    FaqEntry(
        key="privacy",
        question=gettext_noop("Wat doet de praktijk met mijn persoonsgegevens?"),
        answer=gettext_noop(
            "Wij gaan zorgvuldig om met uw gegevens. Wij houden ons aan de privacywet (AVG) "
            "en aan het beroepsgeheim. Alleen wie u behandelt, mag uw dossier zien. Wij "
            "delen gegevens met bijvoorbeeld de apotheek of de huisartsenpost alleen als u "
            "daar toestemming voor geeft. Die toestemming regelt u op www.volgjezorg.nl. "
            "Meer leest u in onze privacyverklaring. Vragen? Bel {phone_main}."
        ),
        keywords=(
            "privacy",
            "avg",
            "gegevens",
            "persoonsgegevens",
            "beroepsgeheim",
            "toestemming",
            "delen",
            "landelijk schakelpunt",
            "lsp",
            "volgjezorg",
            "geheimhouding",
            "privacyverklaring",
            "wie mag",
            "omgaan",
        ),
    ),
    FaqEntry(
        key="klacht",
        question=gettext_noop("Ik ben niet tevreden. Hoe dien ik een klacht in?"),
        answer=gettext_noop(
            "Bent u niet tevreden over de zorg of over hoe u bent behandeld? Bespreek het "
            "eerst met de huisarts of de medewerker zelf. Dat lost vaak veel op. Lukt dat "
            "niet, of wilt u dat liever niet? Dien dan een klacht in bij de praktijk, op "
            "papier of via {phone_main}. Komen wij er samen niet uit? Dan kunt u terecht bij "
            "een onafhankelijke klachtenfunctionaris en daarna bij de geschillencommissie."
        ),
        keywords=(
            "klacht",
            "klachten",
            "klagen",
            "ontevreden",
            "niet tevreden",
            "niet blij",
            "boos",
            "onvrede",
            "klachtenregeling",
            "klachtenprocedure",
            "klachtenfunctionaris",
            "geschillencommissie",
            "onvriendelijk",
            "onbeleefd",
            "melden",
        ),
    ),
    FaqEntry(
        key="overstappen",
        question=gettext_noop("Hoe stap ik over naar een andere huisarts?"),
        answer=gettext_noop(
            "Wilt u naar een andere huisarts? Schrijf u eerst in bij de nieuwe praktijk. "
            "Die vraagt daarna uw medisch dossier bij ons op. U hoeft zich bij ons niet apart "
            "uit te schrijven. Heeft u vragen over het overdragen van uw dossier? Bel "
            "{phone_main}."
        ),
        keywords=(
            "overstappen",
            "andere huisarts",
            "nieuwe huisarts",
            "wisselen",
            "veranderen",
            "uitschrijven",
            "opzeggen",
            "vertrekken",
            "weggaan",
            "dossier overdragen",
            "overschrijven",
        ),
    ),
    FaqEntry(
        key="verhuizen",
        question=gettext_noop("Ik ga verhuizen. Wat moet ik regelen?"),
        answer=gettext_noop(
            "Geef uw nieuwe adres door aan de assistent of pas het aan in het "
            "patiëntenportaal. Blijft u in ons werkgebied wonen? Dan blijft u gewoon "
            "patiënt bij ons. Gaat u verder weg wonen? Schrijf u dan in bij een huisarts "
            "in uw nieuwe woonplaats. Die vraagt uw dossier bij ons op. Vragen? Bel "
            "{phone_main}."
        ),
        keywords=(
            "verhuizen",
            "verhuis",
            "verhuisd",
            "verhuizing",
            "nieuw adres",
            "adreswijziging",
            "woonplaats",
            "andere stad",
            "nieuwe woning",
            "gaan wonen",
            "emigreren",
        ),
    ),
    FaqEntry(
        key="gegevens-wijzigen",
        question=gettext_noop(
            "Hoe geef ik een nieuw telefoonnummer, e-mailadres of zorgverzekeraar door?"
        ),
        answer=gettext_noop(
            "Een nieuw telefoonnummer, e-mailadres of een andere zorgverzekering geeft u "
            "door in het patiëntenportaal, aan de balie of via {phone_main}. Zo kunnen wij u "
            "bereiken en gaat de rekening naar de juiste verzekeraar. Neem bij een nieuwe "
            "zorgverzekering uw nieuwe zorgpas mee."
        ),
        keywords=(
            "doorgeven",
            "wijzigen",
            "wijziging",
            "aanpassen",
            "veranderd",
            "zorgverzekeraar",
            "verzekeraar",
            "verzekering",
            "polis",
            "zorgpas",
            "mobiel nummer",
            "mobiele nummer",
            "e-mailadres",
            "naamswijziging",
            "mijn gegevens",
        ),
    ),
    FaqEntry(
        key="verwijzing",
        question=gettext_noop("Hoe krijg ik een verwijzing naar een specialist of het ziekenhuis?"),
        answer=gettext_noop(
            "Voor veel zorg in het ziekenhuis heeft u een verwijzing van de huisarts nodig. "
            "De huisarts beslist samen met u of een verwijzing nodig is. Maak daarvoor een "
            "afspraak of stel uw vraag met een e-consult. Naar de fysiotherapeut of de "
            "tandarts kunt u meestal zonder verwijzing. Is uw verwijzing verlopen? Bel dan "
            "{phone_main}."
        ),
        keywords=(
            "verwijzing",
            "verwijsbrief",
            "doorverwijzing",
            "doorverwijzen",
            "specialist",
            "ziekenhuis",
            "fysiotherapeut",
            "fysio",
            "psycholoog",
            "dermatoloog",
            "verlopen",
            "nieuwe verwijzing",
            "second opinion",
        ),
    ),
    FaqEntry(
        key="portaal",
        question=gettext_noop("Hoe log ik in op het patiëntenportaal?"),
        answer=gettext_noop(
            "In het patiëntenportaal van {practice_name} maakt u afspraken, vraagt u "
            "herhaalrecepten aan, stelt u een e-consult en ziet u uw uitslagen. U maakt een "
            "account aan met de uitnodiging van de praktijk. Lukt het inloggen niet, of "
            "bent u uw gegevens kwijt? Bel ons: {phone_main}. Wij helpen u dan verder."
        ),
        keywords=(
            "portaal",
            "patiëntenportaal",
            "inloggen",
            "account",
            "wachtwoord",
            "login",
            "registreren",
            "website",
            "app",
            "toegang",
            "code",
            "activeren",
            "kwijt",
            "vergeten",
        ),
    ),
    FaqEntry(
        key="machtiging",
        question=gettext_noop("Kan ik zaken regelen voor mijn kind of voor iemand anders?"),
        answer=gettext_noop(
            "Ouders met gezag regelen de zaken voor hun kind tot 12 jaar. Van 12 tot 16 jaar "
            "beslissen ouder en kind samen. Vanaf 16 jaar regelt uw kind het zelf. Wilt u "
            "iets regelen voor een ander, zoals uw partner of uw vader of moeder? Dan geeft "
            "die persoon u toestemming (een machtiging) in het patiëntenportaal of aan de "
            "balie. Vragen? Bel {phone_main}."
        ),
        keywords=(
            "machtiging",
            "machtigen",
            "namens",
            "vertegenwoordiger",
            "gemachtigde",
            "ouders",
            "zoon",
            "dochter",
            "partner",
            "mantelzorger",
            "iemand anders",
            "voor een ander",
            "regelen",
            "wettelijk vertegenwoordiger",
        ),
    ),
    FaqEntry(
        key="poh",
        question=gettext_noop("Wat doet de praktijkondersteuner?"),
        answer=gettext_noop(
            "De praktijkondersteuner (POH) werkt samen met de huisarts. De POH-somatiek "
            "begeleidt mensen met een langdurige aandoening, bijvoorbeeld bij controles. De "
            "POH-GGZ voert gesprekken met mensen die het psychisch moeilijk hebben. U komt "
            "bij de POH via de huisarts. Een afspraak maakt u via {phone_main}. U betaalt "
            "hiervoor geen eigen risico."
        ),
        keywords=(
            "praktijkondersteuner",
            "poh",
            "ondersteuner",
            "praktijkverpleegkundige",
            "ggz",
            "gesprekken",
            "begeleiding",
            "chronisch",
            "controles",
            "praten",
        ),
    ),
    FaqEntry(
        key="tolk",
        question=gettext_noop("Kan ik een tolk krijgen als ik niet goed Nederlands spreek?"),
        answer=gettext_noop(
            "Spreekt u niet goed Nederlands? Neem dan iemand mee die goed Nederlands spreekt "
            "en die u vertrouwt, liefst geen kind. De huisarts kan ook een professionele tolk "
            "via de telefoon inschakelen. Vraag hiernaar als u de afspraak maakt via "
            "{phone_main}."
        ),
        keywords=(
            "tolk",
            "vertaler",
            "vertalen",
            "taal",
            "nederlands",
            "engels",
            "english",
            "tolkentelefoon",
            "arabisch",
            "turks",
            "pools",
            "oekraïens",
            "begrijpen",
            "anderstalig",
            "spreekt",
            "spreken",
        ),
    ),
    FaqEntry(
        key="meenemen",
        question=gettext_noop("Wat neem ik mee naar mijn afspraak?"),
        answer=gettext_noop(
            "Neem een geldig identiteitsbewijs en uw zorgpas mee. Gebruikt u medicijnen? "
            "Neem dan een actueel overzicht van uw medicijnen mee; dat krijgt u bij de "
            "apotheek. Schrijf uw vragen vooraf op, dan vergeet u niets. Wilt u iemand "
            "meenemen naar de afspraak? Dat mag."
        ),
        keywords=(
            "meenemen",
            "meebrengen",
            "identiteitsbewijs",
            "legitimatie",
            "id-kaart",
            "paspoort",
            "zorgpas",
            "voorbereiden",
            "medicijnoverzicht",
            "iemand meenemen",
            "spreekuur",
            "consult",
        ),
    ),
    FaqEntry(
        key="passant",
        question=gettext_noop("Ik ben hier tijdelijk. Kan ik als passant bij de praktijk terecht?"),
        answer=gettext_noop(
            "Logeert u in de buurt of bent u hier op vakantie, en heeft u een huisarts nodig? "
            "Dan kunt u als passant bij ons terecht. Bel eerst voor een afspraak: "
            "{phone_main}. Neem uw zorgpas en identiteitsbewijs mee. Wij sturen een verslag "
            "naar uw eigen huisarts. Buiten openingstijden belt u {hap_name}: {hap_phone}."
        ),
        keywords=(
            "passant",
            "tijdelijk",
            "logeren",
            "logeer",
            "toerist",
            "op bezoek",
            "niet ingeschreven",
            "camping",
            "vakantiehuis",
            "vakantiepark",
            "eigen huisarts",
            "in de buurt",
        ),
    ),
    FaqEntry(
        key="uitstrijkje",
        question=gettext_noop("Hoe werkt het uitstrijkje van het bevolkingsonderzoek?"),
        answer=gettext_noop(
            "Vrouwen van 30 tot 65 jaar krijgen een uitnodiging voor het bevolkingsonderzoek "
            "baarmoederhalskanker. Met die brief maakt u een afspraak bij de praktijk voor "
            "een uitstrijkje, via {phone_main}. Neem de uitnodiging mee. U kunt ook een "
            "zelfafnameset aanvragen en thuis gebruiken. Het onderzoek is gratis."
        ),
        keywords=(
            "uitstrijkje",
            "bevolkingsonderzoek",
            "baarmoederhals",
            "baarmoederhalsonderzoek",
            "zelfafnameset",
            "zelftest",
            "uitnodiging",
            "screening",
            "hpv",
            "brief",
        ),
    ),
    FaqEntry(
        key="terugbellen",
        question=gettext_noop("Kan de huisarts mij terugbellen?"),
        answer=gettext_noop(
            "Ja. Voor een korte vraag kunt u een belafspraak maken. De huisarts belt u dan "
            "terug op een afgesproken tijd. Vraag dit aan via {phone_main}. Zorg dat u op "
            "dat moment goed bereikbaar bent."
        ),
        keywords=(
            "terugbellen",
            "belafspraak",
            "telefonisch consult",
            "telefonisch spreekuur",
            "terugbelverzoek",
            "telefoonconsult",
            "overleggen",
            "aan de telefoon",
            "spreken",
        ),
    ),
    FaqEntry(
        key="kindervaccinaties",
        question=gettext_noop("Waar krijgt mijn kind de vaccinaties?"),
        answer=gettext_noop(
            "Baby's en kinderen krijgen de vaccinaties van het Rijksvaccinatieprogramma bij "
            "het consultatiebureau of de GGD, niet bij de huisarts. U krijgt daarvoor een "
            "uitnodiging. Heeft u vragen over de afspraak? Bel dan het consultatiebureau of "
            "de GGD."
        ),
        keywords=(
            "kind",
            "kinderen",
            "baby",
            "zoon",
            "dochter",
            "prikjes",
            "inentingen",
            "rijksvaccinatieprogramma",
            "consultatiebureau",
            "ggd",
            "bmr",
            "hpv-prik",
            "vaccineren",
        ),
    ),
)


# --------------------------------------------------------------------------------------
# Text handling.

_STEMMER = snowballstemmer.stemmer("dutch")
_WORD = re.compile(r"\w\w+")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")

# Words that carry no meaning for matching: bm25s's Dutch list (_stopwords) plus words
# every chat question has ("jullie", "kan", "waar", "wanneer").
_OWN_STOPWORDS = {
    "jullie",
    "jij",
    "kun",
    "kunt",
    "mag",
    "mogen",
    "moeten",
    "graag",
    "even",
    "wel",
    "gewoon",
    "eigenlijk",
    "hallo",
    "hoi",
    "beste",
    "goedemorgen",
    "goedemiddag",
    "bedankt",
    "dank",
    "alstublieft",
    "aub",
    "ff",
    "welke",
    "welk",
    "waar",
    "wanneer",
    "waarom",
    "hoeveel",
    "hoelang",
    "er",
    "een",
    "dokter",
    "huisarts",
    "praktijk",
    "huisartsenpraktijk",
    # Verbs and time words every kind of question has.
    "ga",
    "gaan",
    "gaat",
    "ging",
    "laten",
    "krijg",
    "krijgen",
    "krijgt",
    "kreeg",
    "nodig",
    "willen",
    "wilt",
    "zouden",
    "kon",
    "weten",
    "we",
    "wij",
    "hier",
    "dingen",
    "morgen",
    "vandaag",
    "volgende",
    "vorige",
    "week",
    "straks",
    "nou",
    "nee",
    "oke",
    "ok",
    "weer",
    "goed",
    "lang",
    "duurt",
    "duren",
    "beschikbaar",
    "mogelijk",
    "gebeurt",
    "gebeuren",
    "terecht",
    "sinds",
    # Months, but October and November: the flu shot.
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "december",
}


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    # bm25s (and numpy with it) is imported only once the assistant is used: imported at
    # the top, every web worker would hold it (about 18 MB).
    from bm25s.stopwords import STOPWORDS_DUTCH

    return frozenset(STOPWORDS_DUTCH) | _OWN_STOPWORDS


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _normalise(text: str) -> str:
    """Lowercase, accents off ("patiënt" -> "patient"), m'n -> mijn, only letters, digits
    and single spaces; at most MAX_QUESTION_LENGTH characters."""
    text = text[:MAX_QUESTION_LENGTH].casefold().replace("\u2019", "'").replace("\u2018", "'")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"\bm'n\b", "mijn", text)
    text = re.sub(r"\bz'n\b", "zijn", text)
    text = re.sub(r"'s\b", "s", text)  # 's avonds -> s avonds
    text = re.sub(r"[^\w\s]|_", " ", text)
    return " ".join(text.split())


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


def _words_and_stems(normalised: str) -> list[tuple[str, str]]:
    """The content words of a normalised text, each with its stem."""
    stopwords = _stopwords()
    return [(w, _stem(w)) for w in _WORD.findall(normalised) if w not in stopwords]


# Separable verbs: "schrijf ik mij in" means "inschrijven", "zeg ik af" "afzeggen". The
# particle stands at the end of the clause, or before a word that starts a new one.
_SEPARABLE_VERBS = (
    ("schrijf schrijft schreef schreven", {"in": "inschrijven", "uit": "uitschrijven"}),
    ("zeg zegt zei zeiden", {"af": "afzeggen"}),
    ("stap stapt stapte", {"over": "overstappen"}),
    ("meld meldt meldde", {"af": "afmelden", "aan": "aanmelden"}),
    ("vraag vraagt vroeg", {"aan": "aanvragen", "op": "opvragen"}),
    ("lever levert leverde", {"in": "inleveren", "af": "afleveren"}),
    ("haal haalt haalde", {"op": "ophalen", "af": "afhalen"}),
    ("bel belt belde", {"terug": "terugbellen", "op": "opbellen"}),
    ("neem neemt nam", {"mee": "meenemen"}),
    ("geef geeft gaf", {"door": "doorgeven"}),
    ("dien dient diende", {"in": "indienen"}),
    ("kom komt kwam", {"langs": "langskomen"}),
    ("log logt logde", {"in": "inloggen"}),
)
_SEPARABLE: dict[str, dict[str, str]] = {
    form: particles for forms, particles in _SEPARABLE_VERBS for form in forms.split()
}
# The particle ends the clause, or stands before a word that starts a new one or a phrase
# after the verb ("schrijf ik mijn gezin in bij jullie").
_AFTER_PARTICLE = _words(
    "als want omdat en of maar dan zodat wanneer terwijl voordat bij voor via met naar aan om "
    "tot na"
)
_CLAUSE_BREAK = re.compile(r"[.,;:!?()]+")


def _separable_verbs(raw: str) -> list[str]:
    """The infinitives of the separable verbs in a text ("zeg ik mijn afspraak af" ->
    "afzeggen"), to be matched as words of their own."""
    found = []
    for clause in _CLAUSE_BREAK.split(raw[:MAX_QUESTION_LENGTH]):
        words = _normalise(clause).split()
        for i, word in enumerate(words):
            particles = _SEPARABLE.get(word)
            if particles is None:
                continue
            for j in range(i + 1, min(i + 8, len(words))):
                ends = j + 1 == len(words) or words[j + 1] in _AFTER_PARTICLE
                if words[j] in particles and ends:
                    found.append(particles[words[j]])
                    break
    return found


def _text_words(raw: str) -> list[tuple[str, str]]:
    """The content words of a question or of part of an entry, separable verbs joined,
    each with its stem."""
    return _words_and_stems(_normalise(raw) + " " + " ".join(_separable_verbs(raw)))


def _text_tokens(raw: str) -> list[str]:
    return [stem for _word, stem in _text_words(raw)]


def _fill(template: str, facts: PracticeFacts) -> str:
    """Placeholders filled from the facts; an unknown {name} or a lone brace stays as it is
    (a practice's own text may hold them; this never raises)."""
    values = {field.name: str(getattr(facts, field.name)) for field in dataclasses.fields(facts)}
    if not values["phone_urgent"].strip():
        values["phone_urgent"] = values["phone_main"]
    if not values["hap_name"].strip():
        values["hap_name"] = gettext("de huisartsenpost")

    def one(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    return _PLACEHOLDER.sub(one, template)


def render(entry: FaqEntry, facts: PracticeFacts) -> str:
    """An entry's answer as the chat shows it: translated, placeholders filled."""
    return _fill(gettext(entry.answer), facts)


# --------------------------------------------------------------------------------------
# Emergency and medical checks, on normalised text (lowercase, no accents, no punctuation).


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{part})" for part in parts))


_SUICIDE = _rx(
    r"zelfmoord",
    r"suicid",
    r"zelfdoding",
    r"einde aan (mijn|zijn|haar|m n) leven",
    r"\bwil (graag )?dood\b",
    r"\bdood (willen|wil)\b",
    r"niet meer (willen )?leven",
    r"wil niet meer leven",
    r"(mezelf|mijzelf) (iets )?(aan ?doen|van kant)",
    r"van kant maken",
    r"\bsnijd(en)? mezelf",
)
_EMERGENCY = _rx(
    r"\b112\b",
    r"bewusteloos",
    r"buiten bewustzijn",
    r"niet (meer )?(aanspreekbaar|wakker te krijgen)",
    r"\b(niet|nauwelijks|geen) (meer )?(kan |kunnen |goed )?adem(en|t|halen)?\b",
    r"\bademt (niet|nauwelijks)",
    r"\b(kan|kunnen) (niet|nauwelijks) (meer )?ademen",
    r"\bgeen adem\b",
    r"\b(krijg|krijgt|krijgen) (bijna |haast )?geen (lucht|adem)\b",
    r"happen naar (lucht|adem)|naar (lucht|adem) happen",
    r"pijn op (de|mijn|zijn|haar) borst",
    r"(druk|drukkend|beklemmend)\w* (gevoel )?op (de|mijn|zijn|haar) borst",
    r"\bstik(t|ken|te)?\b",
    r"\bverslikt\b.{0,30}\b(lucht|adem)",
    r"reanim",
    r"hartstilstand",
    r"hartaanval",
    r"hartinfarct",
    r"beroerte",
    r"herseninfarct",
    r"scheve mond",
    r"\bverlamd",
    r"(bloeding|bloeden|bloedt)\w*( \w+){0,3} (stopt|stoppen|houdt) niet",
    r"(stopt|stoppen) niet met bloeden",
    r"hevige bloeding",
    r"heel veel bloed",
    r"blauwe lippen",
    r"anafylact",
    r"allergische shock",
    r"overdosis",
    r"vergiftig",
    r"te veel (pillen|tabletten|medicijnen) (ingenomen|genomen|geslikt)",
    r"epileptische aanval",
    r"\bstuip",
    r"\binsult\b",
    r"(ernstig|erg|heel erg|zeer|heel) benauwd",
    r"stikbenauwd",
    r"aangereden",
    r"ongeluk gehad",
)

# Words that make a question practical for the soft medical rules below.
_PRACTICAL_CONTEXT = _rx(
    r"\bafspra",
    r"\bafzeg",
    r"\bafmeld",
    r"\bannuler",
    r"\bverzet",
    r"\bverplaats",
    r"\bte laat\b",
    r"inschrij",
    r"uitschrij",
    r"verhuis",
    r"\bklacht\b",
    r"indienen",
    r"dossier",
    r"portaal",
    r"inlog",
    r"wachtwoord",
    r"\baccount",
    r"\brekening",
    r"factuur",
    r"verzeker",
    r"\bkost",
    r"telefoonnummer",
    r"\badres",
    r"parkeer",
    r"openingstijd",
    r"\bdicht\b",
    r"gesloten",
    r"verwijzing",
    r"verwijsbrief",
    r"verklaring",
    r"briefje",
    r"uitnodiging",
    r"controle",
    r"bevolkingsonderzoek",
    r"uitstrijkje",
    r"screening",
    r"\bpoh\b",
    r"praktijkondersteuner",
    r"waarne",
    r"recept",
    r"apothe",
    r"\bkwijt\b",
    r"vergeten",
)
# Administrative words around medicines: a repeat prescription is not a medical question.
_ADMIN_MEDICINE = _rx(
    r"herhaal",
    r"recept",
    r"apothe",
    r"bestel",
    r"\bop(ge)?hal",
    r"\bafhal",
    r"aanvra",
    r"bezorg",
    r"voorraad",
    r"\b(bijna|zijn|is) op\b",
    r"overzicht",
    r"medicijnlijst",
    r"vergoed",
    r"\bkost",
    r"\bprijs",
    r"eigen risico",
)
# Being ill is practical only when the question is about work, school or cancelling.
_ILL_CONTEXT = _rx(
    r"\bziek ?melden",
    r"ziekmeld",
    r"werkgever",
    r"\bwerk\b",
    r"\bschool\b",
    r"verklaring",
    r"briefje",
    r"bedrijfsarts",
    r"\bafzeg",
    r"\bafmeld",
    r"\bannuler",
    r"\bverzet",
    r"\bniet komen\b",
    r"\bafspraak (af|niet)",
)
_LAB_CONTEXT = _rx(r"nuchter", r"bloed ?prik", r"bloedafname", r"bloedonderzoek", r"\blab")

# Hard medical terms, anywhere in a word (Dutch compounds: "keelpijn", "buikgriep").
_MEDICAL_ANYWHERE = _rx(
    r"pijn",
    r"(?<!gele )koorts",
    r"ontst(e|o)k",
    r"infectie",
    r"jeuk",
    r"allergi",
    r"bloeding",
    r"(huid|luier)uitslag",
    r"griep(?!prik|vaccin|spuit|campagne)",
    r"hoest",
    r"misselijk",
    r"diarree",
    r"buikloop",
    r"eczeem",
    r"migraine",
    r"knobbel",
    r"bobbel",
    r"zwanger",
    r"menstrua",
    r"ongesteld",
    r"tumor",
    r"depressi",
    r"hartklop",
    r"kortadem",
    r"benauwd",
    r"duizel",
    r"\bbraken\b",
    r"\bovergeven",
    r"\bspu(ug|g)",
    r"verkoud",
    r"bijwerking",
    r"beet\b",
    r"steek\b",
    r"gestoken",
    r"\bteek\b",
    r"\bteken ?beet",
    r"wond(?!er)",
    r"\bblaar",
    r"\bwrat",
    r"likdoorn",
    r"schimmel",
    r"aambei",
    r"\bspruw",
    r"\bluis\b",
    r"luizen",
    r"\bwormen\b",
    r"waterpokken",
    r"mazelen",
    r"krentenbaard",
    r"roodvonk",
    r"corona(?!prik|vaccin|spuit|booster)",
    r"covid(?! ?(prik|vaccin))",
    r"besmet",
    r"\bsoa\b",
    r"chlamydia",
    r"herpes",
    r"dement",
    r"vergeetachtig",
    r"verward",
    r"hallucin",
    r"paniek",
    r"\bangst",
    r"somber",
    r"neerslachtig",
    r"burn ?out",
    r"overspannen",
    r"piekeren",
    r"\bstress",
    r"gestrest",
    r"verslav",
    r"verslaafd",
    r"eetstoornis",
    r"epilep",
    r"hyperventil",
    r"maagzuur",
    r"zuurbranden",
    r"oprisping",
    r"obstipatie",
    r"verstopping",
    r"bloedneus",
    r"flauw ?(ge)?val",
    r"rilling",
    r"\bzweet",
    r"nachtzweten",
    r"tinteling",
    r"\bkramp",
    r"hernia",
    r"\bspit\b",
    r"verstuikt",
    r"verzwikt",
    r"gekneusd",
    r"kneuzing",
    r"gebroken",
    r"\bbreuk\b",
    r"botbreuk",
    r"(?<!welke )(?<!sommige )(?<!die )(?<!deze )(?<!alle )(?<!zulke )\bgevallen\b",
    r"verbrand",
    r"moedervlek",
    r"\bvlek(je|jes|ken)?\b",
    r"\bbult",
    r"\bpuist",
    r"\bacne\b",
    r"abces",
    r"zwelling",
    r"gezwollen",
    r"opgezet",
    r"\bmoe\b",
    r"moeheid",
    r"vermoeid",
    r"uitgeput",
    r"slapeloos",
    r"\bslaap\w*\b.{0,30}\b(slecht|niet)\b",
    r"\bslecht (\w+ )?slapen",
    r"\bslecht (ge)?slapen",
    r"\bniet (kan |kunnen )?(in )?slapen",
    r"\bzie (\w+ )?(wazig|slecht|dubbel|vlekken|sterretjes|lichtflitsen|niks|niets)\b",
    r"\bwazig",
    r"dubbel zien",
    r"\bsteekt\b",
    r"\bsteken (in|op|bij|aan)\b",
    r"\bzere\b",
    r"\bhart\w* (slaat|klopt|bonkt|gaat)",
    r"hartslag",
    r"\boverslaan\b|slaat over\b",
    r"symptom",
    r"\bkwaal",
    r"\bdiagnose",
    r"\bhuilt\b",
    r"hangerig",
    r"\bsuf\b",
    r"uitgedroogd",
    r"\b(heb|heeft|hebben|had|met) (\w+ )?verhoging\b",
    r"\bverhoging (van )?(3|4)\d\b",
    r"\btemperatuur\b",
    r"\b(3[7-9]|4[0-2])( [0-9])? graden\b",
    r"branderig",
    r"\bhuid\b",
    r"\bbloedt\b",
    r"\bbloed (in|bij|op|uit) (de |het |mijn |zijn |haar )?(plas|urine|ontlasting|poep|slijm)",
    r"\bbloed (ophoesten|plassen|poepen|spugen)",
    r"drinkt (niet|slecht|weinig)",
    r"\beet (niet|slecht|weinig)\b",
    r"\bvaak (moeten )?plassen\b",
    r"\bklachten (aan|van|bij|met) (mijn|zijn|haar|m n)\b",
    r"\b(heb|heeft|hebben|had) (ik |hij |zij |ze )?(\w+ )?klachten\b",
    r"\bbijwerk",
    r"\bdosis\b",
    r"\bdosering",
    r"\bmilligram",
    r"\b\d+ ?mg\b",
    r"\bpil ?vergeten|\bvergeten (in )?te (nemen|slikken)",
    r"stopweek",
    r"morning ?after",
    r"noodpil",
    r"\bik voel me\b",
    r"\bvoel (ik )?(me|mij) (niet|slecht|raar|zwak|ziek|beroerd|rot)",
    r"\bniet lekker\b",
    r"\bniet fit\b",
    r"gaat (het )?(niet goed|slecht) met (me|mij|mijn|hem|haar)",
    r"gaat niet (over|weg)",
    r"niet (over|weg) ?gaat",
    r"\bpukkel",
    r"\bbrandend (gevoel|plassen)",
    r"\bflauw\b",
    r"ingeslikt",
    r"\b(plas|plast|plassen|poep|poept|hoest|spuug|spuugt) (\w+ )?bloed\b",
    r"(wordt|worden|word) (steeds )?(erger|slechter|groter|dikker)",
    r"komt steeds terug",
    r"\blast van\b",
    r"\bdoet (\w+ )?zeer\b",
    r"(me|mij) zorgen (maken|moet)",
    r"zorgen maken",
    r"wat (helpt|werkt) (\w+ )?(tegen|bij|voor)\b",
    r"\bhelpt (er )?(iets |het )?tegen\b",
    r"\b(wat|welke) (is|zijn) (de )?(oorzaak|behandeling|symptomen)",
    r"moet ik (\w+ ){0,3}laten (nakijken|zien|onderzoeken|controleren)",
    r"(rare|rode|zwarte|donkere|bruine|blauwe|witte|jeukende|schilferende|vreemde|gekke|"
    r"pijnlijke|droge|natte|harde|gele|paarse) (plek|plekje|plekjes|plekken|bult|bultje|"
    r"bultjes|puntjes|randje|rand|kring)",
    r"\bplek\w* (op|aan|in|onder|bij) (mijn|zijn|haar|de|het) (huid|been|arm|rug|gezicht|"
    r"hoofd|hand|voet|buik|borst|nek|schouder|lip|neus|oog|oor|tong|tong)",
)

# Soft terms: medical unless the question is plainly practical.
_MEDICAL_SOFT = _rx(
    r"\bwat (moet|kan|kun|zal|moeten|kunnen|zullen) (ik|je|we|hij|zij|ze|u) (\w+ )?(doen|nemen|"
    r"gebruiken|slikken|geven) (bij|als|tegen|aan|voor|wanneer|met)\b",
    r"\bis (het|dit|dat|mijn \w+|zo n \w+|een \w+( \w+)?) (\w+ )?(erg|ernstig|gevaarlijk|"
    r"normaal|kwaad|schadelijk)\b",
    r"\b(erg|ernstig|gevaarlijk)( \w+)?$",
    r"\bernstig\b",
    r"\bgevaarlijk\b",
    r"\bte (hoog|laag)\b",
    r"moet ik (hiermee |daarmee |ermee |dan |nu )?(naar|langs) (de |het )?(dokter|huisarts|arts|"
    r"eerste hulp|seh|spoedeisende hulp|ziekenhuis|huisartsenpost)",
    r"kanker",
    r"\bdiabet",
    r"\bsuikerziek",
    r"\bastma\b",
    r"\bcopd\b",
    r"\bde pil\b",
    r"anticonceptie",
    r"spiraal",
    r"\bhart\w* ?(\w+ )?(klachten|ziek)",
)
_ILL = _rx(r"\bziek(e|er|jes|ig|te|tes)?\b", r"\bgrieperig\b")

# Medicines by name: medical unless the question is administrative.
_MEDICINE = _rx(
    r"paracetamol",
    r"ibuprofen",
    r"diclofenac",
    r"naproxen",
    r"aspirine",
    r"\bascal\b",
    r"antibiotic",
    r"\bkuur\b",
    r"amoxicilline",
    r"penicilline",
    r"doxycycline",
    r"nitrofurantoine",
    r"prednis",
    r"omeprazol",
    r"pantoprazol",
    r"esomeprazol",
    r"maagzuurremmer",
    r"(oxa|dia|tema|lora)zepam",
    r"slaappil",
    r"slaapmiddel",
    r"slaaptablet",
    r"melatonine",
    r"antidepressiv",
    r"sertraline",
    r"citalopram",
    r"paroxetine",
    r"oxycodon",
    r"tramadol",
    r"codeine",
    r"morfine",
    r"insuline",
    r"metformine",
    r"statine",
    r"bloedverdunner",
    r"acenocoumarol",
    r"apixaban",
    r"rivaroxaban",
    r"metoprolol",
    r"amlodipine",
    r"levothyroxine",
    r"thyrax",
    r"salbutamol",
    r"ventolin",
    r"\bpuffer",
    r"inhalator",
    r"\bzalf",
    r"\bcreme\b",
    r"antihistamin",
    r"cetirizine",
    r"loratadine",
    r"neusspray",
    r"\b(oog|oor)druppels",
    r"\bvitamine",
    r"\bijzertablet",
    r"\b(innemen|slikken|inname|ingenomen|geslikt)\b",
)
# Always medical, administrative words or not: doses, combining, side effects.
# "Mag ik ... eten/drinken/sporten": medical, except before a blood test.
_MAY_I = _rx(
    r"\bmag (ik|hij|zij|ze|je|u|mijn \w+|ons \w+)\b.{0,50}\b(innemen|slikken|nemen|gebruiken|"
    r"combineren|drinken|eten|sporten|zwemmen|douchen|vliegen|rijden|autorijden|"
    r"borstvoeding|geven|smeren)\b",
)
_MEDICINE_USE = _rx(
    r"\b(hoeveel|hoe vaak|hoe veel|hoeveelheid)\b.{0,40}\b(mg|milligram|paracetamol|ibuprofen|"
    r"druppels|pufjes|innemen|slikken|per dag|mag ik|mag hij|mag zij)\b",
    r"\bhoe lang (mag|moet|kan) (ik|hij|zij|ze) (\w+ ){0,3}(innemen|slikken|gebruiken|nemen)\b",
    r"\b(samen|tegelijk|combineren|combinatie)\b.{0,40}\b(met|en)\b.{0,30}\b(alcohol|drank|"
    r"paracetamol|ibuprofen|medicijn\w*|pil\w*|tablet\w*|antibiotic\w*)",
    r"\b(alcohol|drank) (bij|met|en) (\w+ )?(medicijn|pil|tablet|antibiotic)",
)


_BODY_PARTS = _words(
    """arm armen been benen knie knieen enkel enkels voet voeten hiel hand handen vinger
    vingers duim teen tenen nek rug schouder schouders heup heupen buik maag darm darmen
    hoofd oor oren oog ogen ooglid neus keel mond tong tand tanden kies kiezen lip lippen
    huid borst borsten tepel hart long longen nier nieren blaas pols polsen elleboog kaak
    gezicht hals lies liezen bil billen anus vagina schaamlippen penis balzak teelbal
    zaadbal navel nagel nagels teennagel hoofdhuid kuit kuiten dij bovenbeen onderbeen
    scheenbeen rib ribben wang voorhoofd oksel"""
)
# Body parts in sayings that are not about the body.
_IDIOMS = _rx(
    r"\bter been\b",
    r"\baan de hand\b",
    r"\bin het oog\b",
    r"\bop het hart\b",
    r"\buit het hoofd\b",
    r"\bmet de hand\b",
    r"\bonder (vier|4) ogen\b",
    r"\bop de hoogte\b",
)
_COMPLAINTS = _words(
    """rood rode dik dikke dikker gezwollen opgezet zwelling jeukt jeukend jeukende zeer
    pijnlijk raar rare vreemd vreemde gek gekke verkleurd blauw warm heet gevoelloos slap
    krachteloos tintelt tintelen kraakt knakt klikt stijf droog droge schilfert schilfers
    bloedt bloed ontstoken plek plekje plekken vlek vlekje vlekken bult bultje bultjes
    knobbel bobbel wondje wond etter pus lekt zwart zwarte geel gele scheef brandt verstopt
    verstopte piept suist ruist trilt trillen kramp krampen uitstulping zweer blaasjes
    uitslag puntjes korstje korst dicht"""
)
# "Uitslag" is a test result, unless it is a rash: "ik heb uitslag", "uitslag op mijn arm".
_RASH = _rx(
    r"\b(heb|heeft|hebben|had|krijg|krijgt|kreeg|kregen|zit|zitten)( (ik|hij|zij|ze|hem|"
    r"haar))? (een |rode |jeukende |rare |vreemde |veel |wat |overal |kleine |last van )*"
    r"uitslag\b",
    r"\buitslag (op|aan|rond|in|onder|bij) (mijn|zijn|haar|de|het|zn) (?!uitslag)"
    r"(" + "|".join(sorted(_BODY_PARTS)) + r")\b",
    r"(rode|jeukende|rare|vreemde|pukkelige|schilferende) uitslag",
    r"last van uitslag",
)


# "ik heb ...", "mijn zoon is ...": when the FAQ has no answer, a personal statement is
# taken for a complaint.
_PERSONAL = _rx(
    r"^(help |hallo |dokter |goedemorgen |goedemiddag |hoi )?(ik|hij|zij|ze|mijn \w+|m n \w+|"
    r"ons \w+|onze \w+) (heb|heeft|hebben|had|ben|is|zijn|was|voel|voelt|krijg|krijgt|"
    r"kan|kon|word|wordt)\b",
)


def emergency_reason(normalised: str) -> str | None:
    """ "zelfdoding" or "112" when the question sounds like an emergency, else None."""
    if _SUICIDE.search(normalised):
        return "zelfdoding"
    if _EMERGENCY.search(normalised):
        return "112"
    return None


def medical_reason(normalised: str) -> str | None:
    """What makes a (normalised) question medical, or None when it is practical."""
    words = normalised.split()
    if (match := _MEDICINE_USE.search(normalised)) is not None:
        return f"medicijngebruik: {match.group(0)}"
    if (match := _MAY_I.search(normalised)) is not None and not _LAB_CONTEXT.search(normalised):
        return f"mag ik: {match.group(0)}"
    if (match := _MEDICAL_ANYWHERE.search(normalised)) is not None:
        return f"klacht: {match.group(0)}"
    if (match := _RASH.search(normalised)) is not None:
        return f"huiduitslag: {match.group(0)}"
    body = _BODY_PARTS.intersection(words)
    complaint = _COMPLAINTS.intersection(words)
    if body and complaint and not (complaint == {"uitslag"} and _LAB_CONTEXT.search(normalised)):
        return f"lichaamsdeel met klacht: {sorted(body)[0]} {sorted(complaint)[0]}"
    if (match := _ILL.search(normalised)) is not None and not _ILL_CONTEXT.search(normalised):
        return f"ziek: {match.group(0)}"
    body_alone = _BODY_PARTS.intersection(_IDIOMS.sub(" ", normalised).split())
    if body_alone and not _PRACTICAL_CONTEXT.search(normalised):
        return f"lichaamsdeel: {sorted(body_alone)[0]}"
    if (match := _MEDICAL_SOFT.search(normalised)) is not None and not _PRACTICAL_CONTEXT.search(
        normalised
    ):
        return f"medische vraag: {match.group(0)}"
    if (match := _MEDICINE.search(normalised)) is not None and not _ADMIN_MEDICINE.search(
        normalised
    ):
        return f"medicijn: {match.group(0)}"
    return None


# --------------------------------------------------------------------------------------
# The assistant.


@dataclass(frozen=True)
class _Match:
    index: int  # of the best entry
    score: float  # its BM25 score
    level: float  # the score in units of the IDF of a word only one entry holds
    coverage: float  # the share (by IDF) of the question's words that the entry holds


class Assistant:
    """One practice's assistant: its FAQ indexed once, its facts filled into every text."""

    def __init__(self, entries: Sequence[FaqEntry], facts: PracticeFacts) -> None:
        self.entries: tuple[FaqEntry, ...] = tuple(entries)
        self.facts = facts
        docs = [_entry_tokens(entry) for entry in self.entries]
        self._doc_sets: list[frozenset[str]] = [frozenset(doc) for doc in docs]
        self._df: dict[str, int] = {}
        for doc_set in self._doc_sets:
            for token in doc_set:
                self._df[token] = self._df.get(token, 0) + 1
        # Typos and compounds are matched only to the words of the questions and keywords.
        self._headwords = frozenset(t for entry in self.entries for t in _head_tokens(entry))
        self._headwords_by_first = _by_first_letter(self._headwords)
        # The first part of a compound: "parkeer" of "parkeergelegenheid" starts the FAQ's
        # "parkeren" and "parkeerplaats"; the shortest such word's stem stands for it.
        self._prefixes: dict[str, str] = {}
        raw_heads = {w for e in self.entries for w, _s in _text_words(_head_text(e))}
        for raw in sorted(raw_heads, key=lambda w: (len(w), w)):
            for end in range(MIN_COMPOUND_FIRST, len(raw) + 1):
                self._prefixes.setdefault(raw[:end], _stem(raw))
        self._retriever: bm25s.BM25 | None = None
        if self._df:
            import bm25s  # here, not at the top: see _stopwords

            self._retriever = bm25s.BM25()
            self._retriever.index(docs, show_progress=False)

    def reply(self, question: str) -> Reply:
        question = question[:MAX_QUESTION_LENGTH]
        text = _normalise(question)
        if not text or not _WORD.search(text):
            return Reply(ReplyKind.UNKNOWN, self._text(EMPTY_TEXT), None, 0.0)
        reason = emergency_reason(text)
        if reason is not None:
            template = SUICIDE_TEXT if reason == "zelfdoding" else EMERGENCY_TEXT
            return Reply(ReplyKind.EMERGENCY, self._text(template), None, 1.0)
        if medical_reason(text) is not None:
            return Reply(ReplyKind.MEDICAL, self._text(MEDICAL_TEXT), None, 1.0)
        match = self.best_match(question)
        if match is not None and _answers(match):
            entry = self.entries[match.index]
            return Reply(ReplyKind.ANSWER, render(entry, self.facts), entry.key, match.score)
        score = match.score if match is not None else 0.0
        if _PERSONAL.search(text) and not _PRACTICAL_CONTEXT.search(text):
            # Not a question the FAQ knows, about oneself or one's child: most likely a
            # complaint the medical check did not recognise, so self-triage it is.
            return Reply(ReplyKind.MEDICAL, self._text(MEDICAL_TEXT), None, score)
        return Reply(ReplyKind.UNKNOWN, self._text(UNKNOWN_TEXT), None, score)

    def best_match(self, question: str) -> _Match | None:
        """The best entry for a question, or None when none shares a word with it."""
        if self._retriever is None:
            return None
        resolved = [(stem, self._known(word, stem)) for word, stem in _text_words(question)]
        known = [match for _word, match in resolved if match is not None]
        if not known:
            return None
        import numpy as np  # here, not at the top: see _stopwords

        scores = np.asarray(self._retriever.get_scores(known), dtype=np.float64)
        best = int(np.argmax(scores))  # the first of equals
        # A word the FAQ does not know weighs most: "hoe laat gaat de supermarkt open".
        total = sum(
            self._idf(match) if match is not None else UNKNOWN_WEIGHT * self._idf(word)
            for word, match in resolved
        )
        held = sum(
            self._idf(match) * (1.0 if match == word else TYPO_WEIGHT)
            for word, match in resolved
            if match is not None and match in self._doc_sets[best]
        )
        unit = self._idf_of(1)
        coverage = held / total if total else 0.0
        return _Match(best, float(scores[best]), float(scores[best]) / unit, coverage)

    def _idf(self, token: str) -> float:
        return self._idf_of(self._df.get(token, 0))

    def _idf_of(self, df: int) -> float:
        """BM25's IDF (bm25s "lucene") of a word that df of the entries hold."""
        return math.log(1.0 + (len(self._doc_sets) - df + 0.5) / (df + 0.5))

    def _known(self, word: str, stem: str) -> str | None:
        """The word's stem when the FAQ holds it; else the FAQ word that ends or starts
        the compound ("bloeddruk|pillen" -> "pil", "parkeer|gelegenheid" -> "parker"), or
        that it is a light typo of ("wachtwoort"); else None."""
        if stem in self._df:
            return stem
        if len(word) >= MIN_COMPOUND_LENGTH:
            for start in range(MIN_COMPOUND_PART, len(word) - MIN_COMPOUND_TAIL + 1):
                if (tail := _stem(word[start:])) in self._headwords:
                    return tail
            for end in range(len(word) - MIN_COMPOUND_PART, MIN_COMPOUND_FIRST - 1, -1):
                if (head := self._prefixes.get(word[:end])) is not None:
                    return head
        if len(stem) < MIN_TYPO_LENGTH:
            return None
        candidates = self._headwords_by_first.get(stem[0], ())
        close = difflib.get_close_matches(stem, candidates, n=1, cutoff=TYPO_CUTOFF)
        return close[0] if close else None

    def _text(self, template: str) -> str:
        return _fill(gettext(template), self.facts)


def _answers(match: _Match) -> bool:
    """A match good enough to answer: every word of the question found in the entry, or
    most of them with a higher score."""
    if match.level < MIN_SCORE or match.coverage < MIN_COVERAGE:
        return False
    return match.coverage >= FULL_COVERAGE or match.level >= PARTIAL_SCORE


def _head_text(entry: FaqEntry) -> str:
    return " ".join((entry.question, *entry.keywords))


def _head_tokens(entry: FaqEntry) -> list[str]:
    """The question (repeated, so it weighs more) and the keywords (repeated) of an entry."""
    question = _text_tokens(entry.question)
    keywords = [token for keyword in entry.keywords for token in _text_tokens(keyword)]
    return _repeat(question, QUESTION_WEIGHT) + _repeat(keywords, KEYWORD_WEIGHT)


def _entry_tokens(entry: FaqEntry) -> list[str]:
    """An entry as one document: question and keywords weigh more than the answer, by
    repetition; placeholders are left out."""
    answer = _text_tokens(_PLACEHOLDER.sub(" ", entry.answer))
    return _head_tokens(entry) + _repeat(answer, ANSWER_WEIGHT)


def _repeat(tokens: list[str], times: int) -> list[str]:
    return [token for _ in range(times) for token in tokens]


def _by_first_letter(vocab: Iterable[str]) -> dict[str, tuple[str, ...]]:
    groups: dict[str, list[str]] = {}
    for word in vocab:
        groups.setdefault(word[0], []).append(word)
    return {letter: tuple(sorted(words)) for letter, words in groups.items()}


__all__: list[str] = [
    "DEFAULT_FAQ",
    "Assistant",
    "FaqEntry",
    "PracticeFacts",
    "Reply",
    "ReplyKind",
    "emergency_reason",
    "medical_reason",
    "render",
]
