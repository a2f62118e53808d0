"""PDFs built byte by byte for the upload tests: plain, or packed into a compressed object stream.

Hand-made so a test controls exactly how a name is spelt (`/Java#53cript`) and where an
object lives (inside a Flate-compressed object stream, which a byte scan cannot read).
"""

import zlib


def make_pdf(*objects: bytes, packed: bool = False) -> bytes:
    """A PDF whose objects 1..n are `objects` (object 1 must be the catalog).

    `packed` puts every object in one compressed object stream listed by a cross-reference
    stream (PDF 1.5), as most current producers do.
    """
    if not packed:
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, 1):
            offsets.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
        xref_at = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        for offset in offsets:
            out += b"%010d 00000 n \n" % offset
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at)
        return bytes(out)

    count = len(objects)
    bodies = bytearray()
    index = []
    for number, body in enumerate(objects, 1):
        index.append(b"%d %d" % (number, len(bodies)))
        bodies += body + b"\n"
    header = b" ".join(index) + b"\n"
    packed_data = zlib.compress(header + bytes(bodies))
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    stream_number, xref_number = count + 1, count + 2
    stream_at = len(out)
    out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (
        stream_number,
        count,
        len(header),
        len(packed_data),
    )
    out += packed_data + b"\nendstream\nendobj\n"
    xref_at = len(out)
    rows = [bytes([0]) + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big")]
    rows += [bytes([2]) + stream_number.to_bytes(4, "big") + i.to_bytes(2, "big") for i in range(count)]
    rows.append(bytes([1]) + stream_at.to_bytes(4, "big") + (0).to_bytes(2, "big"))
    rows.append(bytes([1]) + xref_at.to_bytes(4, "big") + (0).to_bytes(2, "big"))
    table = b"".join(rows)
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % (
        xref_number,
        count + 3,
        len(table),
    )
    out += table + b"\nendstream\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


PAGES = (
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
)
# A one-page PDF with nothing active: what a scanner or "print to PDF" produces.
MINIMAL_PDF = make_pdf(*PAGES)
