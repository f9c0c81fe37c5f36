"""The FAQ assistant without a database: practical questions answered from the right
entry, medical ones never answered (self-triage, or 112 in an emergency), the rest "I
don't know" with the practice's number.

PRACTICAL, MEDICAL and OFF_TOPIC are the question sets, phrased as patients type them
(not copied from the FAQ); a benchmark may import them."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spreekuur.triage.assistant import (
    DEFAULT_FAQ,
    MAX_QUESTION_LENGTH,
    Assistant,
    FaqEntry,
    PracticeFacts,
    ReplyKind,
    render,
)

FACTS = PracticeFacts(
    practice_name="Huisartsenpraktijk De Linde",
    phone_main="020-1234567",
    phone_urgent="020-1234500",
    hap_name="Huisartsenpost Amstelland",
    hap_phone="088-0030600",
    address="Dorpsstraat 1, 1234 AB Ouderkerk",
    opening_hours="maandag tot en met vrijdag 08:00 tot 17:00 uur",
)

# (question as a patient types it, the FAQ entry that should answer it). Written in three
# rounds: the first tuned the thresholds, the second was used to fix general faults
# (separable verbs, compounds, stop words), the third was written blind and measured
# before anything was changed for it.
PRACTICAL_ROUND_1: list[tuple[str, str]] = [
    ("hoe laat zijn jullie open op vrijdag", "openingstijden"),
    ("zijn jullie tussen de middag gesloten?", "openingstijden"),
    ("tot hoe laat is de praktijk geopend", "openingstijden"),
    ("ik wil me inschrijven als nieuwe patient", "inschrijven"),
    ("nemen jullie nog nieuwe patienten aan?", "inschrijven"),
    ("hoe kan ik mijn pasgeboren baby inschrijven", "inschrijven"),
    ("waar lever ik mijn plas in", "urine"),
    ("tot hoe laat kan ik een urinepotje komen brengen", "urine"),
    ("kan ik mijn pillen online bestellen", "herhaalrecept"),
    ("mijn medicijnen zijn bijna op, hoe krijg ik nieuwe", "herhaalrecept"),
    ("ik heb een herhaalrecept nodig voor mijn bloeddrukpillen", "herhaalrecept"),
    ("dokter op vakantie wie vervangt", "waarneming"),
    ("wie is de waarnemer als mijn huisarts er niet is", "waarneming"),
    ("wat is het nummer van de huisartsenpost", "avond-weekend"),
    ("wie moet ik bellen op zondag", "avond-weekend"),
    ("s avonds laat een dokter nodig, wie bel ik dan", "avond-weekend"),
    ("wat is het spoednummer", "spoed"),
    ("ik heb overdag dringend een huisarts nodig", "spoed"),
    ("wat is jullie telefoonnummer", "telefoon"),
    ("hoe kan ik jullie bereiken", "telefoon"),
    ("waar zit de praktijk", "adres"),
    ("hoe kom ik bij jullie met de bus", "adres"),
    ("is er een parkeerplaats bij de praktijk", "parkeren"),
    ("kan ik mijn auto kwijt bij jullie", "parkeren"),
    ("kan ik de huisarts een bericht sturen via internet", "econsult"),
    ("kan ik mijn vraag ook mailen", "econsult"),
    ("ik wil een afspraak maken bij de dokter", "afspraak-maken"),
    ("kan ik zonder afspraak langskomen", "afspraak-maken"),
    ("ik kan morgen niet komen, hoe annuleer ik mijn afspraak", "afspraak-afzeggen"),
    ("afspraak verzetten naar volgende week", "afspraak-afzeggen"),
    ("wanneer hoor ik de uitslag van mijn bloedonderzoek", "uitslagen"),
    ("zijn mijn labuitslagen al binnen?", "uitslagen"),
    ("moet ik nuchter komen voor de bloedafname", "bloedprikken"),
    ("waar is de dichtstbijzijnde prikpost", "bloedprikken"),
    ("kan de dokter bij mij thuis komen want ik kom de deur niet uit", "visite"),
    ("doen jullie ook huisbezoeken", "visite"),
    ("wanneer kan ik mijn griepspuit halen", "griepprik"),
    ("ik heb geen uitnodiging voor de griepvaccinatie gekregen", "griepprik"),
    ("welke prikken heb ik nodig voor een reis naar thailand", "reisvaccinatie"),
    ("ik ga naar afrika, moet ik me laten inenten voor de reis", "reisvaccinatie"),
    ("kan ik een doktersbriefje krijgen voor mijn werkgever", "verklaring"),
    ("ik heb een keuring nodig voor mijn rijbewijs", "verklaring"),
    ("hoeveel kost een consult als ik niet verzekerd ben", "kosten"),
    ("gaat de huisarts van mijn eigen risico af", "kosten"),
    ("kan ik een kopie van mijn medische gegevens krijgen", "inzage-dossier"),
    ("ik wil lezen wat er in mijn dossier staat", "inzage-dossier"),
    ("hoe gaan jullie om met mijn privacy", "privacy"),
    ("delen jullie mijn gegevens met de apotheek", "privacy"),
    ("ik ben ontevreden over de assistente, waar kan ik dat melden", "klacht"),
    ("ik wil een klacht indienen", "klacht"),
    ("ik wil naar een andere dokter, hoe schrijf ik me uit", "overstappen"),
    ("ik wil van huisarts wisselen", "overstappen"),
    ("we gaan verhuizen naar een andere stad", "verhuizen"),
    ("ik heb een nieuwe zorgverzekeraar, moet ik dat doorgeven", "gegevens-wijzigen"),
    ("ik heb een nieuw mobiel nummer", "gegevens-wijzigen"),
    ("hoe kom ik aan een verwijsbrief voor de fysio", "verwijzing"),
    ("mijn verwijzing voor het ziekenhuis is verlopen", "verwijzing"),
    ("ik kan niet inloggen op het portaal", "portaal"),
    ("ik ben mijn wachtwoord vergeten", "portaal"),
    ("kan ik namens mijn moeder dingen regelen", "machtiging"),
    ("wat doet een poh", "poh"),
    ("ik wil praten met de praktijkondersteuner ggz", "poh"),
    ("mijn moeder spreekt geen nederlands, is er een tolk", "tolk"),
    ("wat moet ik meenemen naar het spreekuur", "meenemen"),
    ("ik logeer bij familie in de buurt, kan ik bij jullie terecht", "passant"),
    ("wij zitten op de camping hier en hebben een huisarts nodig", "passant"),
    ("ik heb een brief gekregen voor het uitstrijkje", "uitstrijkje"),
    ("ik wil liever telefonisch met de dokter overleggen", "terugbellen"),
    ("waar krijgt mijn baby zijn prikjes", "kindervaccinaties"),
    ("hoe laat gaan jullie dicht", "openingstijden"),
    ("wanneer ligt mijn recept klaar bij de apotheek", "herhaalrecept"),
    ("inschrijfen nieuwe patiënt", "inschrijven"),
]
PRACTICAL_ROUND_2: list[tuple[str, str]] = [
    ("zijn jullie op woensdagmiddag open", "openingstijden"),
    ("hoe schrijf ik mijn gezin in bij jullie", "inschrijven"),
    ("waar moet ik het potje met urine afgeven", "urine"),
    ("kan ik mijn medicatie herhalen via de app", "herhaalrecept"),
    ("mijn pillen zijn op", "herhaalrecept"),
    ("wie neemt waar als de praktijk dicht is in de zomer", "waarneming"),
    ("ik heb s nachts een dokter nodig", "avond-weekend"),
    ("welk nummer bel ik in het weekend", "avond-weekend"),
    ("wat is het noodnummer van de praktijk", "spoed"),
    ("wat is het telefoonnummer van de assistente", "telefoon"),
    ("op welk adres zit de dokter", "adres"),
    ("is er parkeergelegenheid", "parkeren"),
    ("kan ik digitaal een vraag stellen aan de huisarts", "econsult"),
    ("ik wil graag langskomen bij de huisarts", "afspraak-maken"),
    ("ik moet mijn afspraak van dinsdag afzeggen", "afspraak-afzeggen"),
    ("hoe lang duurt het voor de uitslag van de urinekweek bekend is", "uitslagen"),
    ("waar kan ik bloed laten afnemen", "bloedprikken"),
    ("mijn moeder is slecht ter been, kan de dokter bij haar langskomen", "visite"),
    ("wanneer is de griepvaccinatie dit jaar", "griepprik"),
    ("heb ik prikken nodig voor mijn vakantie naar indonesie", "reisvaccinatie"),
    ("mijn werkgever wil een verklaring van de huisarts", "verklaring"),
    ("wat zijn de tarieven", "kosten"),
    ("moet ik betalen voor de huisarts", "kosten"),
    ("ik wil een afschrift van mijn dossier", "inzage-dossier"),
    ("mogen jullie mijn gegevens delen met het ziekenhuis", "privacy"),
    ("ik ben niet blij met hoe de dokter mij behandeld heeft", "klacht"),
    ("ik wil me uitschrijven bij jullie", "overstappen"),
    ("ik ga emigreren, wat gebeurt er met mijn dossier", "verhuizen"),
    ("mijn e-mailadres is veranderd", "gegevens-wijzigen"),
    ("hoe krijg ik een verwijzing voor de psycholoog", "verwijzing"),
    ("de app doet het niet, ik kom er niet in", "portaal"),
    ("ik ben mantelzorger, kan ik zaken regelen voor mijn moeder", "machtiging"),
    ("is er een tolk beschikbaar voor arabisch", "tolk"),
    ("moet ik mijn id-kaart meenemen", "meenemen"),
    ("ik ben toerist, kan ik hier naar de dokter", "passant"),
    ("ik heb een uitnodiging voor het bevolkingsonderzoek baarmoederhalskanker", "uitstrijkje"),
    ("kan ik een telefonische afspraak maken", "terugbellen"),
    ("waar laat ik mijn kind inenten", "kindervaccinaties"),
    ("kunnen jullie me terugbellen", "terugbellen"),
]
PRACTICAL_ROUND_3: list[tuple[str, str]] = [
    ("wat zijn jullie tijden op maandag", "openingstijden"),
    ("is de praktijk op zaterdag open", "openingstijden"),
    ("kan ik patient worden bij deze praktijk", "inschrijven"),
    ("hebben jullie een patientenstop", "inschrijven"),
    ("moet ik de urine zelf komen brengen of kan dat ook later", "urine"),
    ("hoe bestel ik mijn medicijnen opnieuw", "herhaalrecept"),
    ("tot wanneer moet ik mijn herhaalmedicatie aanvragen", "herhaalrecept"),
    ("bij wie kan ik terecht als de praktijk gesloten is voor vakantie", "waarneming"),
    ("wat is het nummer van de dokterswacht", "avond-weekend"),
    ("wie helpt mij op een feestdag", "avond-weekend"),
    ("welk nummer moet ik bellen met spoed", "spoed"),
    ("hoe neem ik contact op met de praktijk", "telefoon"),
    ("kunt u mij de route naar de praktijk geven", "adres"),
    ("kan ik met de auto tot voor de deur", "parkeren"),
    ("kan ik een e-consult sturen over mijn uitslag", "econsult"),
    ("hoe boek ik online een afspraak", "afspraak-maken"),
    ("ik moet mijn afspraak annuleren", "afspraak-afzeggen"),
    ("wanneer zijn de resultaten van mijn onderzoek bekend", "uitslagen"),
    ("waar kan ik terecht voor een bloedtest", "bloedprikken"),
    ("kan er een visite aan huis komen voor mijn oma", "visite"),
    ("krijg ik dit jaar een uitnodiging voor de griepprik", "griepprik"),
    ("moet ik ingeent worden voor een reis naar brazilie", "reisvaccinatie"),
    ("schrijven jullie ook attesten voor school", "verklaring"),
    ("wat kost een rijbewijskeuring", "verklaring"),
    ("valt de huisarts onder mijn eigen risico", "kosten"),
    ("mag ik mijn eigen medisch dossier lezen", "inzage-dossier"),
    ("wat gebeurt er met mijn gegevens", "privacy"),
    ("waar kan ik terecht met een klacht over de huisarts", "klacht"),
    ("ik wil overstappen naar een andere praktijk", "overstappen"),
    ("mijn adres is veranderd", "verhuizen"),
    ("ik heb een andere zorgverzekering sinds januari", "gegevens-wijzigen"),
    ("heb ik een verwijzing nodig voor de fysiotherapeut", "verwijzing"),
    ("hoe maak ik een account aan voor het patientenportaal", "portaal"),
    ("kan mijn dochter mijn zaken regelen", "machtiging"),
    ("wat is een praktijkondersteuner", "poh"),
    ("ik spreek alleen engels, can you help", "tolk"),
    ("wat moet ik bij me hebben als ik naar de afspraak kom", "meenemen"),
    ("ik ben hier op vakantie en heb een dokter nodig", "passant"),
    ("waar kan ik een uitstrijkje laten maken", "uitstrijkje"),
    ("kan de dokter me vandaag nog bellen", "terugbellen"),
    ("waar haal ik de vaccinaties voor mijn baby", "kindervaccinaties"),
]
PRACTICAL: list[tuple[str, str]] = PRACTICAL_ROUND_1 + PRACTICAL_ROUND_2 + PRACTICAL_ROUND_3

# Medical questions: never answered from the FAQ, but sent to self-triage (or 112).
MEDICAL_ONLY: list[str] = [
    "mijn kind heeft al 3 dagen koorts",
    "hoeveel ibuprofen mag ik",
    "ik heb een rare plek op mijn huid",
    "is een bult na een tekenbeet erg",
    "ik voel me somber",
    "ik heb hoofdpijn, wat moet ik doen",
    "mag ik paracetamol innemen als ik zwanger ben",
    "ik ben al een week misselijk",
    "ik hoest al twee weken",
    "mijn dochter heeft huiduitslag",
    "mijn zoon heeft uitslag op zijn arm",
    "is het erg als ik de pil vergeten ben",
    "ik word steeds duizelig als ik opsta",
    "welke bijwerkingen heeft omeprazol",
    "ik ben benauwd als ik de trap op loop",
    "mijn knie is dik en rood",
    "wat kan ik doen tegen een verstopte neus",
    "mag ik alcohol drinken met antibiotica",
    "ik heb last van mijn rug",
    "wat moet ik doen bij een wespensteek",
    "ik slaap al weken heel slecht",
    "mijn baby drinkt niet goed",
    "is diarree besmettelijk",
    "moet ik met oorpijn naar de dokter",
    "mijn bloeddruk is te hoog, moet ik me zorgen maken",
    "ik heb een knobbeltje in mijn borst gevoeld",
    "kan ik ibuprofen en paracetamol samen nemen",
    "mijn wond is ontstoken",
    "ik denk dat ik een blaasontsteking heb, waar lever ik urine in",
    "hoe lang ben je besmettelijk met waterpokken",
    "ik ben zwanger en heb buikpijn",
    "ik heb een rode vlek op mijn been die groter wordt",
    "ik ben gevallen en mijn pols is blauw",
    "mijn kind is ziek, wat moet ik doen",
    "hoeveel paracetamol mag een kind van 4",
    "mijn oog is rood en traant",
    "ik ben erg moe de laatste tijd",
    "is dit ernstig?",
    "na de griepprik doet mijn arm zeer",
    "kan ik mijn oxazepam halveren",
    "ik heb een raar gevoel in mijn arm",
    "mijn dochter van 2 heeft 39 graden",
    "ik moet steeds overgeven",
    "mijn vrouw heeft last van opvliegers",
    "ik heb een bultje op mijn hoofd",
    "mijn schoonvader is erg vergeetachtig aan het worden",
    "wat is goed tegen een koortslip",
    "mag je paracetamol en ibuprofen combineren",
    "ik heb een tekenbeet, wat nu",
    "mijn kind heeft spruw",
    "kan ik zwanger worden als ik de pil vergeet",
    "ik plas bloed",
    "mijn enkel is opgezwollen na het sporten",
    "ik heb een pukkel die niet weggaat",
    "hoe kom ik van mijn wratten af",
    "ik heb een brandend gevoel bij het plassen",
    "ik ben constant moe en lusteloos",
    "ik heb het benauwd",
    "mijn zoontje valt steeds flauw",
    "ik heb een schimmelinfectie aan mijn voet",
    "mijn bloedsuiker is te hoog",
    "ik ben zo angstig de laatste tijd",
    "ik voel me niet goed",
    "ik heb een wondje dat niet dichtgaat",
    "help mijn kind heeft iets ingeslikt",
    "mijn moeder is gevallen en kan niet opstaan",
    "ik heb een allergische reactie op een wesp",
    "ik heb medicijnen voor mijn hart, mag ik daarbij drinken",
    "mijn baby heeft luieruitslag",
    "mijn oor zit dicht",
    "ik ben al een maand niet ongesteld geworden",
    "ik heb pijn bij het slikken",
    "ik heb een bult in mijn lies",
    "mijn kind heeft rode vlekjes",
    "ik heb een snee in mijn vinger",
    "kan ik met griep naar mijn werk",
    "hoelang duurt een verkoudheid",
    "is een verhoging van 38 erg",
    "ik heb een droge hoest",
    "ik heb al dagen diarree",
    "mijn dochter heeft oorpijn",
    "ik ben bang dat ik kanker heb",
    "mijn teen is ontstoken",
    "ik heb steken in mijn zij",
    "ik heb een zere keel",
    "mijn baby huilt de hele nacht",
    "mijn man is heel verward",
    "ik zie wazig",
    "wat helpt tegen hooikoorts",
    "mag ik sporten met een gebroken pols",
    "ik heb bloed bij mijn ontlasting",
    "mijn hart slaat over",
    "ik ben zo moe",
    "hoe vaak mag ik paracetamol nemen",
    "is het normaal dat mijn kind veel hoest",
]
# Emergencies: 112 (and 113 for thoughts of suicide).
EMERGENCY: list[str] = [
    "mijn vader is bewusteloos",
    "ik heb pijn op de borst",
    "ik wil niet meer leven",
    "mijn man kan niet meer ademen",
    "de bloeding stopt niet",
    "ik denk aan zelfmoord",
    "mijn kind stikt",
    "ik krijg geen lucht",
    "mijn moeder is bewusteloos geraakt",
    "ik wil een einde aan mijn leven maken",
]
MEDICAL: list[str] = MEDICAL_ONLY + EMERGENCY

# Not about the practice: the assistant says it does not know and gives the number.
OFF_TOPIC: list[str] = [
    "wat is de hoofdstad van frankrijk",
    "verkopen jullie fietsen",
    "wie wint het wk voetbal",
    "wat voor weer wordt het morgen",
    "hoe laat vertrekt de trein naar utrecht",
    "kun je een gedicht schrijven",
    "wat is het recept voor appeltaart",
    "wat kost een nieuwe fiets",
    "wanneer komt de vuilnisman",
    "wat is jouw naam",
    "hoe maak ik pannenkoeken",
    "waar kan ik mijn paspoort verlengen",
    "wat is de uitslag van de wedstrijd",
    "hoe laat begint de kerkdienst",
    "wat is het beste restaurant in de buurt",
    "hoe oud is de koning",
    "kun je mijn huiswerk maken",
    "waar kan ik een auto huren",
    "wat is 2 plus 2",
]
# Known limit: another place's hours asked in the words of the practice's own get the
# practice's opening hours (harmless, but not what was asked).
OFF_TOPIC_HARD: list[str] = [
    "hoe laat gaat de supermarkt open",
    "hoe laat gaat de apotheek open",
    "hoe laat is het",
]


TRIAGED = (ReplyKind.MEDICAL, ReplyKind.EMERGENCY)

# One assistant for all tests: it is built once and keeps nothing of a question.
ASSISTANT = Assistant(DEFAULT_FAQ, FACTS)


def test_the_default_faq_is_complete_and_fits_the_practices_own_answers() -> None:
    keys = [entry.key for entry in DEFAULT_FAQ]
    assert len(keys) >= 25
    assert len(set(keys)) == len(keys)
    for entry in DEFAULT_FAQ:
        assert re.fullmatch(r"[a-z0-9-]{1,60}", entry.key)
        # What FaqAnswer holds, so that a manager can edit a default as it stands.
        assert len(entry.question) <= 200
        assert len(entry.answer) <= 1500
        assert len(", ".join(entry.keywords)) <= 300
        assert not any("," in word for word in entry.keywords)
        assert "{" not in re.sub(
            r"\{(practice_name|phone_main|phone_urgent|hap_name|hap_phone|address|opening_hours)\}",
            "",
            entry.answer,
        )
    assert {key for _question, key in PRACTICAL} <= set(keys)


def test_each_canonical_question_is_answered_from_its_own_entry() -> None:
    for entry in DEFAULT_FAQ:
        reply = ASSISTANT.reply(entry.question)
        assert (reply.kind, reply.entry_key) == (ReplyKind.ANSWER, entry.key), entry.question


def test_practical_questions_are_answered_from_the_right_entry() -> None:
    rounds = {
        "round 1 (tuning)": PRACTICAL_ROUND_1,
        "round 2": PRACTICAL_ROUND_2,
        "round 3 (blind)": PRACTICAL_ROUND_3,
    }
    wrong = []
    print()
    for name, questions in rounds.items():
        replies = [(question, key, ASSISTANT.reply(question)) for question, key in questions]
        misses = [(q, key, reply) for q, key, reply in replies if reply.entry_key != key]
        wrong += misses
        print(f"FAQ accuracy {name}: {len(questions) - len(misses)}/{len(questions)}")
    correct, total = len(PRACTICAL) - len(wrong), len(PRACTICAL)
    unknown = sum(1 for _q, _key, reply in wrong if reply.kind == ReplyKind.UNKNOWN)
    print(
        f"FAQ accuracy: {correct}/{total} = {correct / total:.1%} ({len(wrong) - unknown} other answer, {unknown} not known)"
    )
    for question, key, reply in wrong:
        print(f"  {question!r}: {reply.kind} {reply.entry_key} ({reply.score:.2f}), expected {key}")
    assert correct / total >= 0.90


def test_no_practical_question_is_sent_to_triage() -> None:
    assert [q for q, _key in PRACTICAL if ASSISTANT.reply(q).kind in TRIAGED] == []


def test_every_medical_question_goes_to_triage_and_an_emergency_to_112() -> None:
    kinds = {question: ASSISTANT.reply(question).kind for question in MEDICAL}
    routed = [q for q, kind in kinds.items() if kind in TRIAGED]
    print(f"\nMedical routed to triage or 112: {len(routed)}/{len(MEDICAL)}")
    assert [q for q in MEDICAL if kinds[q] not in TRIAGED] == []
    assert [q for q in EMERGENCY if kinds[q] != ReplyKind.EMERGENCY] == []


@pytest.mark.parametrize(
    "question",
    [
        "hoe vraag ik een herhaalrecept aan voor mijn ibuprofen",
        "kan ik mijn medicijnen bij de apotheek ophalen",
        "wanneer krijg ik de uitslag van het bloedonderzoek",
        "wanneer is de griepprik",
        "ik ben ziek en kan niet komen, hoe zeg ik mijn afspraak af",
        "heb ik een verklaring nodig voor mijn werkgever als ik ziek ben",
        "mijn moeder is slecht ter been, kan de dokter langskomen",
        "in welke gevallen komt de huisarts thuis",
        "mag ik iets eten voor het bloedprikken",
        "komt er een verhoging van de tarieven",
        "is het goed als ik morgen bel",
    ],
)
def test_medicine_and_illness_mentioned_administratively_is_not_medical(question: str) -> None:
    assert ASSISTANT.reply(question).kind not in TRIAGED


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("wanneer krijg ik de uitslag van mijn bloedonderzoek", ReplyKind.ANSWER),
        ("mijn zoon heeft uitslag op zijn arm", ReplyKind.MEDICAL),
        ("ik heb rode uitslag", ReplyKind.MEDICAL),
        ("mijn dochter heeft huiduitslag", ReplyKind.MEDICAL),
    ],
)
def test_uitslag_is_a_test_result_unless_it_is_a_rash(question: str, kind: ReplyKind) -> None:
    assert ASSISTANT.reply(question).kind == kind


def test_the_medical_reply_gives_no_advice_but_self_triage_and_the_phone() -> None:
    reply = ASSISTANT.reply("mijn kind heeft al 3 dagen koorts")
    assert (reply.kind, reply.entry_key) == (ReplyKind.MEDICAL, None)
    assert "geen medisch advies" in reply.text
    assert "Doe de zelftriage" in reply.text
    for number in (FACTS.phone_main, FACTS.phone_urgent, FACTS.hap_phone, "112"):
        assert number in reply.text


def test_an_emergency_says_112_and_thoughts_of_suicide_113() -> None:
    chest = ASSISTANT.reply("Ik heb pijn op de borst en zweet")
    assert chest.kind == ReplyKind.EMERGENCY
    assert "Bel nu 112" in chest.text
    suicide = ASSISTANT.reply("Ik denk aan suïcide")
    assert suicide.kind == ReplyKind.EMERGENCY
    assert "113" in suicide.text
    assert "0800-0113" in suicide.text
    assert "112" in suicide.text


def test_off_topic_questions_are_not_known_and_give_the_phone_number() -> None:
    replies = {question: ASSISTANT.reply(question) for question in OFF_TOPIC}
    unknown = [q for q, reply in replies.items() if reply.kind == ReplyKind.UNKNOWN]
    print(f"\nOff-topic not known: {len(unknown)}/{len(OFF_TOPIC)}")
    assert [q for q in OFF_TOPIC if q not in unknown] == []
    for reply in replies.values():
        assert reply.entry_key is None
        assert reply.text.startswith("Dat weet ik niet zeker.")
        assert FACTS.phone_main in reply.text


def test_the_known_limit_of_off_topic_questions_is_at_worst_a_practical_answer() -> None:
    for question in OFF_TOPIC_HARD:
        reply = ASSISTANT.reply(question)
        print(f"\nHard off-topic {question!r}: {reply.kind} {reply.entry_key}")
        assert reply.kind in (ReplyKind.ANSWER, ReplyKind.UNKNOWN)


def test_placeholders_are_filled_from_the_practice_facts() -> None:
    for entry in DEFAULT_FAQ:
        text = render(entry, FACTS)
        assert "{" not in text and "}" not in text, entry.key
    hours = ASSISTANT.reply("Wat zijn de openingstijden van de praktijk?")
    assert FACTS.opening_hours in hours.text
    assert FACTS.practice_name in hours.text
    assert FACTS.address in ASSISTANT.reply("wat is jullie adres").text
    assert FACTS.hap_phone in ASSISTANT.reply("wie bel ik in het weekend").text


def test_missing_facts_fall_back_instead_of_leaving_gaps() -> None:
    bare = dataclasses.replace(FACTS, phone_urgent="", hap_name="")
    text = Assistant(DEFAULT_FAQ, bare).reply("wat is het spoednummer").text
    assert FACTS.phone_main in text
    assert ": ." not in text and "  " not in text


def test_a_practices_own_text_with_a_stray_brace_is_shown_as_it_is() -> None:
    own = FaqEntry(
        "parkeren-eigen",
        "Waar kan ik parkeren?",
        "Achter {de} praktijk. Bel {phone_main",
        ("auto",),
    )
    reply = Assistant([own], FACTS).reply("waar kan ik mijn auto parkeren")
    assert reply.entry_key == "parkeren-eigen"
    assert reply.text == "Achter {de} praktijk. Bel {phone_main"


def test_empty_and_very_long_questions() -> None:
    for empty in ("", "   ", "\n\t", "?!", "...", "\x00"):
        reply = ASSISTANT.reply(empty)
        assert reply.kind == ReplyKind.UNKNOWN
        assert reply.text.startswith("Typ hieronder uw vraag")
    long = "hoe laat zijn jullie open op vrijdag " + "bla " * 10_000
    assert len(long) > MAX_QUESTION_LENGTH
    assert ASSISTANT.reply(long).kind in set(ReplyKind)
    # Only the first MAX_QUESTION_LENGTH characters count, an emergency word after them too.
    assert ASSISTANT.reply("x" * MAX_QUESTION_LENGTH + " bewusteloos").kind == ReplyKind.UNKNOWN
    assert ASSISTANT.reply("bewusteloos " + "x" * 10_000).kind == ReplyKind.EMERGENCY


def test_an_assistant_without_entries_knows_nothing_but_still_routes() -> None:
    empty = Assistant([], FACTS)
    assert empty.reply("wat zijn de openingstijden").kind == ReplyKind.UNKNOWN
    assert empty.reply("ik heb koorts").kind == ReplyKind.MEDICAL
    assert empty.reply("bel 112").kind == ReplyKind.EMERGENCY


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=MAX_QUESTION_LENGTH + 200))
def test_reply_never_raises_and_always_has_a_kind(question: str) -> None:
    reply = ASSISTANT.reply(question)
    assert reply.kind in set(ReplyKind)
    assert reply.text
    assert (reply.entry_key is not None) == (reply.kind == ReplyKind.ANSWER)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from([q for q, _k in PRACTICAL] + MEDICAL + OFF_TOPIC), min_size=1, max_size=3
    ).map(" ".join)
)
def test_mixed_questions_never_raise(question: str) -> None:
    assert ASSISTANT.reply(question).kind in set(ReplyKind)
