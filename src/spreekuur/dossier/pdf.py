"""The patient's online record as a printable PDF (ReportLab), with exactly what the
portal shows: it is built from the same selector, so nothing shielded can slip in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from io import BytesIO
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from spreekuur.dossier.selectors import Record
from spreekuur.patients.models import Patient

if TYPE_CHECKING:
    from spreekuur.results.models import LabResult

_STYLES = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=_STYLES["BodyText"], fontSize=10, leading=13)
HEAD = ParagraphStyle("head", parent=BODY, fontName="Helvetica-Bold")
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8.5, leading=11, textColor=colors.grey)
H1 = ParagraphStyle("h1", parent=_STYLES["Heading1"], fontSize=17, spaceAfter=4)
H2 = ParagraphStyle("h2", parent=_STYLES["Heading2"], fontSize=13, spaceBefore=10)
GRID = TableStyle(
    [
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ]
)


def _text(value: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(value).replace("\n", "<br/>"), style)


def _day(value: date | None) -> str:
    return formats.date_format(value, "j F Y") if value else ""


def _short_day(value: date | None) -> str:
    """In a table column: "4 dec 2026" (Django's Dutch month abbreviations)."""
    return formats.date_format(value, "j N Y") if value else ""


def _table(header: list[str], rows: list[list[str]], widths: list[float]) -> Table:
    data = [[_text(cell, HEAD) for cell in header]] + [
        [_text(cell) for cell in row] for row in rows
    ]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(GRID)
    return table


def _section(
    story: list[Flowable],
    title: str,
    header: list[str],
    rows: list[list[str]],
    widths: list[float],
    *,
    empty: str,
) -> None:
    """A heading and its table, or a sentence saying there is nothing."""
    story.append(Paragraph(escape(title), H2))
    story.append(_table(header, rows, widths) if rows else _text(empty))


def record_pdf(
    patient: Patient, record: Record, *, today: date, results: Sequence[LabResult] = ()
) -> bytes:
    practice = patient.practice
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=_("Dossier"),
        author=practice.name,
        subject=_("Uitdraai van het dossier uit het patiëntenportaal"),
        lang="nl",
    )
    width = document.width
    story: list[Flowable] = [
        Paragraph(escape(_("Mijn dossier")), H1),
        _text(
            _("%(name)s, geboren %(born)s")
            % {"name": patient.formal_name, "born": _day(patient.date_of_birth)}
        ),
        _text(f"{practice.name}, {practice.street}, {practice.city}. {practice.phone_main}"),
        _text(
            _("Gegevens vanaf %(since)s, uitgedraaid op %(today)s.")
            % {"since": _day(record.online_from), "today": _day(today)},
            SMALL,
        ),
        Spacer(0, 4 * mm),
    ]
    _section(
        story,
        _("Allergieën en intoleranties"),
        [_("Stof of geneesmiddel"), _("Soort"), _("Reactie")],
        [[a.substance, str(a.get_kind_display()), a.reaction] for a in record.allergies],
        [width * 0.4, width * 0.2, width * 0.4],
        empty=_("Geen allergieën of intoleranties bekend."),
    )
    _section(
        story,
        _("Klachten en ziekten"),
        [_("Omschrijving"), _("Code"), _("Sinds"), _("Afgesloten")],
        [
            [e.title, e.icpc_code, _short_day(e.started_on), _short_day(e.ended_on) or _("actueel")]
            for e in record.episodes
        ],
        [width * 0.46, width * 0.12, width * 0.21, width * 0.21],
        empty=_("Geen klachten of ziekten om te tonen."),
    )
    _section(
        story,
        _("Medicijnen"),
        [_("Geneesmiddel"), _("Dosering"), _("Sinds"), _("Gestopt")],
        [
            [m.name, m.dosage, _short_day(m.started_on), _short_day(m.ended_on)]
            for m in record.medication
        ],
        [width * 0.34, width * 0.3, width * 0.18, width * 0.18],
        empty=_("Geen medicijnen om te tonen."),
    )
    _section(
        story,
        _("Metingen"),
        [_("Datum"), _("Meting"), _("Waarde")],
        [
            [
                _short_day(line.measured_on),
                f"{line.name} ({_('thuismeting')})" if line.patient_reported else line.name,
                f"{line.value} {line.unit}",
            ]
            for line in record.measurement_lines
        ],
        [width * 0.25, width * 0.45, width * 0.3],
        empty=_("Geen metingen om te tonen."),
    )
    _section(
        story,
        _("Uitslagen"),
        [_("Datum"), _("Bepaling"), _("Uitslag"), _("Normaal"), _("Commentaar van de huisarts")],
        [
            [
                _short_day(timezone.localdate(r.observed_at)),
                r.test.patient_name,
                " ".join(
                    part
                    for part in (
                        r.value_display,
                        r.unit,
                        f"({r.get_flag_display()})" if r.flag else "",
                    )
                    if part
                ),
                r.reference_text,
                r.comment,
            ]
            for r in results
        ],
        [width * 0.14, width * 0.24, width * 0.2, width * 0.12, width * 0.3],
        empty=_("Geen uitslagen om te tonen."),
    )
    story.append(Paragraph(escape(_("Contacten met de praktijk")), H2))
    # One block per contact, in paragraphs (not table rows): a long plan flows on to the
    # next page instead of breaking the layout.
    for line in record.journal:
        heading = f"{_day(line.contact_on)} · {line.get_kind_display()}"
        if line.episode:
            heading += f" · {line.episode.title}"
        story.append(_text(heading, HEAD))
        if line.evaluation:
            story.append(_text(f"{_('Conclusie')}: {line.evaluation}"))
        if line.plan:
            story.append(_text(f"{_('Plan')}: {line.plan}"))
        story.append(Spacer(0, 2 * mm))
    if not record.journal:
        story.append(_text(_("Geen contacten om te tonen.")))

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(
            18 * mm,
            10 * mm,
            _("%(practice)s · pagina %(page)s") % {"practice": practice.name, "page": doc.page},
        )
        canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
