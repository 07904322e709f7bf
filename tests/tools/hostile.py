"""Hostile files, crafted in memory without ever holding their expanded form."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

_MB = 1 << 20


def zeros_deflate(total: int) -> bytes:
    """A zlib stream that inflates to ``total`` zero bytes, built from one repeated flushed block."""
    chunk = b"\x00" * _MB
    co = zlib.compressobj(9)
    head = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)  # includes the 2-byte zlib header
    block = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)  # history reset: identical every time
    full, rest = divmod(total, _MB)
    body = [head] + [block] * (full - 1)
    if rest:
        body.append(co.compress(b"\x00" * rest) + co.flush(zlib.Z_FULL_FLUSH))
    body.append(b"\x03\x00")  # final, empty fixed-Huffman block
    # Adler-32 of n zero bytes: a = 1, b = n mod 65521
    body.append(struct.pack(">I", ((total % 65521) << 16) | 1))
    return b"".join(body)


def _pdf(objects: list[bytes], root: int = 1, trailer_extra: bytes = b"") -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, root, trailer_extra, xref))
    return out.getvalue()


def flate_bomb_pdf(inflated: int = 4 * 1024 * _MB) -> bytes:
    """One page whose content stream inflates to ``inflated`` bytes (default 4 GiB, ~4 MB on disk)."""
    data = zeros_deflate(inflated)
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream",
    ])


def huge_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid greyscale PNG of width x height (900 MP for the default) in about 1 MB."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zeros_deflate((width + 1) * height)  # filter byte 0 + zero pixels on every row
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def javascript_pdf(text_pdf: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf)))
    action = writer._add_object(DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"),
        NameObject("/JS"): TextStringObject("app.launchURL('https://evil.example/', true);"),
    }))
    writer._root_object[NameObject("/OpenAction")] = action
    names = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("x"), action])})
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): names})
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def encrypted_pdf(text_pdf: bytes, user_password: str = "geheim") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def truncated_pdf(text_pdf: bytes) -> bytes:
    return text_pdf[: len(text_pdf) * 2 // 3]


def zip_as_pdf() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("invoice.pdf.exe", b"MZ" + b"\x00" * 200)
    return buf.getvalue()


def polyglot_pdf_zip(text_pdf: bytes) -> bytes:
    """A PDF that is also a ZIP archive (ZIP readers look at the end of the file)."""
    return text_pdf + zip_as_pdf()


def polyglot_jpeg_pdf(jpeg: bytes, text_pdf: bytes) -> bytes:
    """JPEG magic first, a PDF header within the first KiB: readers disagree what it is."""
    return jpeg[:200] + text_pdf + jpeg[200:]
