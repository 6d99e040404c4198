"""Small real PDFs for tests, written with pypdf: pages of text lines (Helvetica, a real text layer), pages with no
text at all (what a scan looks like to a text extractor), optionally encrypted."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

LINE_HEIGHT = 16
TOP = 760


def _escaped(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def text_pdf(pages: list[list[str]], *, title: str = "", author: str = "", password: str = "", owner_password: str = "") -> bytes:
    """A PDF with one page per list of lines; an empty list makes a page without any text. `password` locks it for
    reading; `owner_password` alone only restricts editing (an empty password opens it)."""
    writer = PdfWriter()
    font = writer._add_object(  # pypdf has no public call for an indirect object
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
    )
    for lines in pages:
        page = writer.add_blank_page(width=612, height=792)
        shown = "".join(f"1 0 0 1 72 {TOP - i * LINE_HEIGHT} Tm ({_escaped(line)}) Tj\n" for i, line in enumerate(lines))
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 11 Tf\n{shown}ET".encode("latin-1") if lines else b"0.9 g 72 72 468 648 re f")
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    if title or author:
        writer.add_metadata({key: value for key, value in (("/Title", title), ("/Author", author)) if value})
    if password or owner_password:
        writer.encrypt(user_password=password, owner_password=owner_password or None, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
