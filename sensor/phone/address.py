"""The address to type into the phone app, and a terminal QR code of it."""

from __future__ import annotations

import io
import socket


def lan_address() -> str:
    """This machine's address on the local network (the interface of the default route)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # UDP connect sends nothing: it only picks the interface
            return str(s.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def qr_text(text: str) -> str | None:
    """A QR code drawn with block characters, or None when the optional `qrcode` package is missing."""
    try:
        import qrcode
    except ImportError:
        return None
    qr = qrcode.QRCode(border=1)
    qr.add_data(text)
    out = io.StringIO()
    qr.print_ascii(out=out, invert=True)
    return out.getvalue()
