"""The page that links an authenticator app: a QR code that shows whole at any size, the
key in blocks of four, and an otpauth:// link for a phone (Spreekuur issue 15)."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, unquote, urlparse
from xml.etree import ElementTree

import pytest
import segno
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from spreekuur.accounts.authenticator import qr_code_svg, secret_groups
from tests.factories import TEST_PASSWORD, UserFactory


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]  # inline SVG in HTML comes without the namespace


_COMMAND = re.compile(r"([MmHhVvZz])([^MmHhVvZz]*)")


def dark_modules(svg_text: str) -> tuple[tuple[float, float, float, float], set[tuple[int, int]]]:
    """The viewBox and the dark modules (column, row) a browser draws from this SVG.

    segno draws each row of dark modules as horizontal strokes of width 1 at y = row + ½
    ("M4 4.5h7m1 0h1…"); every point the path passes through is checked against the box."""
    root = ElementTree.fromstring(svg_text)  # noqa: S314 (our own page's SVG)
    assert _local(root.tag) == "svg"
    assert root.get("width") is None and root.get("height") is None, "fixed size: CSS crops it"
    view_box = tuple(float(n) for n in (root.get("viewBox") or "").split())
    assert len(view_box) == 4, "no viewBox: the drawing does not scale with the box"
    min_x, min_y, width, height = view_box
    dark: set[tuple[int, int]] = set()
    strokes = [
        p for p in root.iter() if _local(p.tag) == "path" and p.get("stroke") not in (None, "none")
    ]
    assert strokes, "no drawn modules"
    for path in strokes:
        assert path.get("transform") is None and float(path.get("stroke-width", "1")) == 1
        x = y = 0.0
        for command, args in _COMMAND.findall(path.get("d", "")):
            numbers = [float(n) for n in args.replace(",", " ").split()]
            if command in "Mm":
                dx, dy = numbers
                x, y = (dx, dy) if command == "M" else (x + dx, y + dy)
            elif command in "Hh":
                (n,) = numbers
                end = n if command == "H" else x + n
                for column in range(int(min(x, end)), int(max(x, end))):
                    dark.add((column, int(y - 0.5)))
                x = end
            else:
                raise AssertionError(f"unexpected path command {command}")
            # The stroke reaches half a module above and below its line.
            assert min_x <= x <= min_x + width, f"x={x} outside the viewBox"
            assert min_y <= y - 0.5 and y + 0.5 <= min_y + height, f"y={y} outside the viewBox"
    return view_box, dark


def expected_modules(content: str) -> tuple[int, set[tuple[int, int]]]:
    """What segno would draw for this content: the symbol with its 4-module quiet zone."""
    qr = segno.make(content, error="m")
    matrix = qr.matrix
    border = 4
    dark = {
        (column + border, row + border)
        for row, line in enumerate(matrix)
        for column, value in enumerate(line)
        if value
    }
    return len(matrix) + 2 * border, dark


def test_qr_code_svg_has_a_viewbox_that_holds_every_module() -> None:
    content = (
        "otpauth://totp/Spreekuur:iemand%40test.example?secret=GEZDGNBVGY3TQOJQ&issuer=Spreekuur"
    )
    view_box, dark = dark_modules(qr_code_svg(content, title="QR"))
    size, wanted = expected_modules(content)
    assert view_box == (0, 0, size, size)
    assert dark == wanted


def test_key_is_grouped_in_blocks_of_four() -> None:
    key = bytes.fromhex("3132333435363738393031323334353637383930")
    assert secret_groups(key) == ["GEZD", "GNBV", "GY3T", "QOJQ", "GEZD", "GNBV", "GY3T", "QOJQ"]
    # A key whose base32 does not fill the last block: no padding, a shorter last block.
    assert secret_groups(b"\x00" * 7) == ["AAAA", "AAAA", "AAAA"]


@pytest.fixture
def setup_page(db: None) -> tuple[str, TOTPDevice]:
    user = UserFactory(totp=False, email="nieuw@test.example")
    client = Client()
    client.post(reverse("accounts:login"), {"username": user.email, "password": TEST_PASSWORD})
    response = client.get(reverse("accounts:setup_totp"))
    assert response.status_code == 200
    return response.content.decode(), TOTPDevice.objects.get(user=user, confirmed=False)


def test_setup_page_qr_code_is_whole_and_encodes_this_device(
    setup_page: tuple[str, TOTPDevice],
) -> None:
    """Regression: the SVG had width/height and no viewBox, so the page's CSS size cut
    off all but one finder square and no app could scan it."""
    html, device = setup_page
    svg = re.search(r"<svg.*?</svg>", html, re.DOTALL)
    assert svg is not None
    view_box, dark = dark_modules(svg.group())
    size, wanted = expected_modules(device.config_url)
    assert view_box == (0, 0, size, size)
    assert dark == wanted  # module for module the code of this device's otpauth URL


def test_setup_page_groups_the_key_and_links_to_the_app(
    setup_page: tuple[str, TOTPDevice],
) -> None:
    html, device = setup_page
    groups = re.findall(r'<span class="spreekuur-secret__group">([A-Z2-7]+)</span>', html)
    assert groups and all(len(group) == 4 for group in groups[:-1]) and len(groups[-1]) <= 4
    typed = "".join(groups)
    assert base64.b32decode(typed + "=" * (-len(typed) % 8)) == device.bin_key
    link = re.search(r'href="(otpauth://[^"]+)"', html)
    assert link is not None
    url = urlparse(link.group(1).replace("&amp;", "&"))
    assert (url.scheme, url.netloc) == ("otpauth", "totp")
    assert unquote(url.path) == "/Spreekuur:nieuw@test.example"
    query = parse_qs(url.query)
    assert query["secret"] == [typed] and query["issuer"] == ["Spreekuur"]
    assert query["digits"] == ["6"] and query["period"] == ["30"]
