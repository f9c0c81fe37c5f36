"""E-consults of a region practice's year: about three per hundred patients a month,
asked by portal users, answered within the two working days (a few late), mostly closed,
the newest still open; each answered one declared with the practice's e-consult code for
the year, and written in the journal."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from spreekuur.core.models import Practice
from spreekuur.core.working_days import working_day_deadline
from spreekuur.demo.econsult import QUESTIONS
from spreekuur.demo.region.rows import Table
from spreekuur.demo.region.year import DAYS_BACK, TZ, Year, poisson
from spreekuur.dossier.models import ContactKind
from spreekuur.econsult.forms import ANSWER_TEMPLATES
from spreekuur.econsult.models import ConsultCode, Declaration, Message, Thread, ThreadStatus

MORE_QUESTIONS = [
    ("medicijnen", "Kan ik mijn herhaalrecept voor langer dan drie maanden krijgen?"),
    ("uitslag", "Is mijn bloeduitslag al binnen? Moet ik iets doen?"),
    ("klacht", "Mijn dochter heeft al vier dagen koorts. Moet ze gezien worden?"),
    ("verwijzing", "Ik heb een verklaring nodig voor mijn sportschool."),
]
FOLLOW_UP_QUESTION = "Dank u. En als het na een week nog niet over is?"
FOLLOW_UP_ANSWER = "Dan graag een afspraak maken op het spreekuur."
INTERNAL_NOTES = (
    "Graag even naar kijken voor het spreekuur.",
    "Patiënt belde ook al; terugbelverzoek staat.",
)
ECONSULT_EVALUATION = "Vraag via e-consult beantwoord."
ECONSULTS_PER_PORTAL_USER = 1.1  # a year: about 3 per 100 patients a month

TABLES = {
    "thread": Table(Thread, {"id": "thread", "asked_by_id": "user"}),
    "message": Table(Message, {"id": "message", "thread_id": "thread", "author_id": "user"}),
    "declaration": Table(Declaration, {"id": "declaration", "thread_id": "thread"}),
}


def set_up_econsult(practice: Practice, today: date) -> dict[int, tuple[str, str]]:
    """The practice's e-consult code and tariff for last year and this one."""
    codes = {}
    for year, tariff in ((today.year - 1, "9.19"), (today.year, "9.51")):
        # Demo values: a practice copies code and tariff from the NZa list for the year.
        code, _created = ConsultCode.objects.get_or_create(
            practice=practice,
            year=year,
            defaults={"code": "12007", "description": "E-consult (demowaarde)", "tariff": tariff},
        )
        codes[year] = (code.code, str(code.tariff))
    return codes


class EconsultYear(Year):
    def econsults(self) -> None:
        rng = self.rng
        questions = [*QUESTIONS, *MORE_QUESTIONS]
        answers = [str(text) for text in ANSWER_TEMPLATES]
        for i, joined in self.joined.items():
            patient = self.patients[i]
            first = max(0, joined + 1)
            span = DAYS_BACK + 1 - first
            if span <= 0:
                continue
            age = self.age(patient, self.today)
            rate = ECONSULTS_PER_PORTAL_USER * (1.3 if age >= 50 else 0.8)
            for _ in range(poisson(rng, rate * span / 365)):
                asked = self.at(first + rng.randrange(span), rng.randint(7, 22), rng.randint(0, 59))
                if asked > self.now:
                    continue
                self.econsult(i, asked, rng.choice(questions), answers)

    def econsult(
        self, i: int, asked: datetime, question: tuple[str, str], answers: list[str]
    ) -> None:
        rng = self.rng
        s = self.s
        patient = self.patients[i]
        user = self.user_ref(i)
        category, body = question
        due = working_day_deadline(asked, 2)
        if rng.random() < 0.05:
            answered = due + timedelta(hours=rng.randint(2, 30))  # late
        else:
            answered = asked + (due - asked) * rng.uniform(0.05, 0.95)
        chronic = bool(self.chronic[i])
        answerer = (
            self.poh
            if chronic and rng.random() < 0.15
            else patient.gp
            if rng.random() < 0.8
            else rng.choice(self.gps)
        )
        messages: list[tuple[int, bool, bool, str, datetime]] = [(user, True, False, body, asked)]
        if rng.random() < 0.1:
            note_at = asked + (answered - asked) * rng.uniform(0.1, 0.9)
            if note_at <= self.now:
                messages.append(
                    (
                        rng.choice([*self.assistants, self.poh]),
                        False,
                        True,
                        rng.choice(INTERNAL_NOTES),
                        note_at,
                    )
                )
        status = ThreadStatus.OPEN
        first_answer = last_answer = read = reminded = closed = None
        assignee = None
        answer = rng.choice(answers)
        if answered <= self.now:
            first_answer = last_answer = answered
            assignee = answerer
            messages.append((answerer, False, False, answer, answered))
            status = ThreadStatus.ANSWERED
            if rng.random() < 0.85:
                read = answered + timedelta(minutes=rng.randint(10, 2880))
                if read > self.now:
                    read = None
            if read is not None and rng.random() < 0.1:
                reply = read + timedelta(minutes=rng.randint(5, 600))
                again = working_day_deadline(reply, 2)
                second = reply + (again - reply) * rng.uniform(0.05, 0.9)
                if second <= self.now:
                    messages.append((user, True, False, FOLLOW_UP_QUESTION, reply))
                    messages.append((answerer, False, False, FOLLOW_UP_ANSWER, second))
                    due, last_answer = again, second
                    read = second + timedelta(minutes=rng.randint(10, 1440))
                    if read > self.now:
                        read = None
                elif reply <= self.now:  # asked again, the answer still to come
                    messages.append((user, True, False, FOLLOW_UP_QUESTION, reply))
                    due, status = again, ThreadStatus.OPEN
            if status == ThreadStatus.ANSWERED:
                age = (self.now - last_answer).days
                if rng.random() < (0.85 if age > 14 else 0.5):
                    closed = last_answer + (
                        timedelta(0) if rng.random() < 0.6 else timedelta(days=rng.randint(1, 5))
                    )
                    if closed <= self.now:
                        status = ThreadStatus.CLOSED
                    else:
                        closed = None
            if read is None and last_answer + timedelta(days=3) <= self.now:
                reminded = last_answer + timedelta(days=3, minutes=rng.randint(0, 59))
        elif rng.random() < 0.5:
            assignee = rng.choice(self.gps)
        self.seen(i, read or asked)
        thread = self.new(
            "thread",
            public_id=self.uid(),
            practice_id=s.practice_id,
            patient_id=patient.id,
            asked_by_id=user,
            category=category,
            status=status,
            assignee_id=assignee,
            triage=s.triage,
            created_at=asked,
            due_at=due,
            answered_at=first_answer,
            last_answer_at=last_answer,
            patient_read_at=read,
            reminder_sent_at=reminded,
            closed_at=closed,
        )
        for author, from_patient, internal, text, at in sorted(messages, key=lambda m: m[4]):
            self.new(
                "message",
                public_id=self.uid(),
                practice_id=s.practice_id,
                thread_id=thread,
                author_id=author,
                from_patient=from_patient,
                internal=internal,
                body=text,
                created_at=at,
            )
        if first_answer is None:
            return
        day = timezone.localtime(first_answer, TZ).date()
        code, tariff = s.codes.get(day.year, ("", None))
        self.new(
            "declaration",
            thread_id=thread,
            practice_id=s.practice_id,
            code=code,
            tariff=tariff,
            declared_on=day,
            answered_by_id=answerer,
        )
        self.new(
            "journal",
            **self.clinical(patient, answerer, first_answer + timedelta(minutes=1)),
            contact_on=day,
            kind=ContactKind.ECONSULT,
            subjective=body,
            objective="",
            evaluation=ECONSULT_EVALUATION,
            plan=answer,
        )
