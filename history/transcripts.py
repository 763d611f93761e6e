"""One conversation's transcript as a file: plain text, or a PDF with every script our
customers write (Latin, Chinese, Japanese, Thai...).

The PDF is made by fpdf2 with TrueType fonts embedded as subsets (so its text layer holds
the real characters: a PDF reader can search and copy them). Fonts are looked up in
``settings.CC_PDF_FONTS`` (a list of paths, tried in order; a ``.ttc`` collection's first
face is used), by default Debian's DejaVu Sans (Latin, Greek, Cyrillic), WenQuanYi Micro
Hei (Chinese, Japanese; package fonts-wqy-microhei) and Garuda (Thai; fonts-thai-tlwg):
the first found is the main font, the others are fallbacks for characters it lacks. With
none of them the PDF is still made with a built-in font, its text reduced to Latin-1, and
says so on its first line (``pdf_fonts`` tells which fonts were found).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from contactcenter.org.i18n import staff_time_zone
from contactcenter.org.models import Staff
from enquiries.models import Enquiry
from enquiries.selectors import conversation_end, duration_seconds
from rooms.models import Message
from rooms.selectors import message_author

DEFAULT_PDF_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/tlwg/Garuda.ttf",
)


@dataclass(frozen=True)
class Line:
    """One message of the transcript as text: when, who, what (already worded)."""

    at: dt.datetime
    author: str
    text: str
    staff_only: bool = False


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _size(size: Any) -> str:
    if not isinstance(size, int):
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def message_line(message: Message, *, base_url: str, enquiry_id: int) -> Line:
    """A message worded for staff: a file as its name, size and download link, a recalled
    message as such, an edited one with its current text and a mark."""
    author = message_author(message)["name"] if message.kind != Message.Kind.SYSTEM else _("System")
    data = message.data if isinstance(message.data, dict) else {}
    if message.recalled_at is not None:
        text = _("(message recalled)")
    else:
        parts = [message.text] if message.text else []
        info = data.get("file")
        if isinstance(info, dict):
            link = f"{base_url}/api/v1/history/{enquiry_id}/files/{message.pk}"
            size = _size(info.get("size"))
            name = str(info.get("name") or _("file"))
            parts.insert(
                0,
                _("[File: %(name)s%(size)s] %(link)s")
                % {
                    "name": name,
                    "size": f", {size}" if size else "",
                    "link": link,
                },
            )
        text = "\n".join(parts)
        if message.edited_at is not None:
            text += " " + _("(edited)")
    return Line(
        at=message.created_at,
        author=author,
        text=text,
        staff_only=data.get("visibility") == "staff",
    )


def header_lines(enquiry: Enquiry, *, tz: zoneinfo.ZoneInfo, include_rating: bool) -> list[tuple[str, str]]:
    """(label, value) pairs describing the enquiry above its messages."""

    def when(moment: dt.datetime | None) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"

    visitor = enquiry.visitor
    customer = visitor.customer
    pairs = [
        (_("Conversation"), f"#{enquiry.pk}"),
        (_("Channel"), f"{enquiry.channel.name} ({enquiry.via or enquiry.channel.kind})"),
        (_("Routed to"), enquiry.destination.name),
        (_("Customer"), customer.name or visitor.display_name if customer else visitor.display_name),
        (_("Owner"), enquiry.owner.display_name if enquiry.owner else "-"),
        (_("Status"), enquiry.get_status_display()),
        (_("Started"), when(enquiry.created_at)),
        (_("Picked up"), when(enquiry.picked_up_at)),
        (_("Ended"), when(conversation_end(enquiry))),
        (_("Duration"), _duration(duration_seconds(enquiry))),
        (_("Time zone"), str(tz)),
    ]
    if enquiry.topic:
        pairs.append((_("Topic"), enquiry.topic))
    tags = [str(t) for t in enquiry.tags.all()]
    if tags:
        pairs.append((_("Tags"), ", ".join(tags)))
    if include_rating and enquiry.rating_score:
        rating = f"{enquiry.rating_score}/5"
        if enquiry.rating_comment:
            rating += f" - {enquiry.rating_comment}"
        pairs.append((_("Rating"), rating))
    return pairs


def _stamp(line: Line, tz: zoneinfo.ZoneInfo) -> str:
    return line.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def _who(line: Line) -> str:
    return f"{line.author} ({_('staff only')})" if line.staff_only else line.author


def transcript_text(header: Sequence[tuple[str, str]], lines: Iterable[Line], *, tz: zoneinfo.ZoneInfo) -> str:
    out = [f"{label}: {value}" for label, value in header]
    out.append("")
    for line in lines:
        body = line.text.replace("\n", "\n    ")
        out.append(f"[{_stamp(line, tz)}] {_who(line)}: {body}")
    return "\n".join(out) + "\n"


@cache
def pdf_fonts() -> tuple[str, ...]:
    """The fonts of ``CC_PDF_FONTS`` (or the defaults) that exist on this machine."""
    configured = getattr(settings, "CC_PDF_FONTS", None) or DEFAULT_PDF_FONTS
    return tuple(path for path in configured if Path(path).is_file())


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def transcript_pdf(
    title: str, header: Sequence[tuple[str, str]], lines: Iterable[Line], *, tz: zoneinfo.ZoneInfo
) -> bytes:
    # Imported here: fpdf2 (and fontTools) take a while to import and only downloads need them.
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(title)
    pdf.set_creator("Contact center")
    fonts = pdf_fonts()
    plain = _latin1
    if fonts:
        names = []
        for index, path in enumerate(fonts):
            name = f"f{index}"
            pdf.add_font(name, "", path)
            names.append(name)
        pdf.set_font(names[0], size=10)
        if names[1:]:
            pdf.set_fallback_fonts(names[1:], exact_match=False)

        def plain(text: str) -> str:
            return text

    else:
        pdf.set_font("Helvetica", size=10)
    pdf.add_page()
    width = pdf.epw
    if not fonts:
        pdf.multi_cell(
            width,
            5,
            plain(_("This server has no Unicode font: characters outside Latin-1 are shown as '?'.")),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.set_font_size(14)
    pdf.multi_cell(width, 8, plain(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(9)
    for label, value in header:
        pdf.multi_cell(width, 5, plain(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for line in lines:
        pdf.set_font_size(8)
        pdf.set_text_color(110, 110, 110)
        pdf.multi_cell(width, 4, plain(f"{_stamp(line, tz)}  {_who(line)}"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font_size(10)
        pdf.set_text_color(0, 0, 0)
        pdf.multi_cell(width, 5, plain(line.text or " "), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    return bytes(pdf.output())


def staff_zone(staff: Staff) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(staff_time_zone(staff))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def transcript_filename(enquiry: Enquiry, extension: str) -> str:
    """``conversation-123-2026-03-04.txt``: the id and the day it started."""
    return f"conversation-{enquiry.pk}-{enquiry.created_at.date().isoformat()}.{extension}"
