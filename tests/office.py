"""Reading the Word documents walkapp writes with the tools a planner's office has: LibreOffice
converts them to PDF, poppler says what the PDF holds (./test installs both)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest


def to_pdf(document: Path, workdir: Path) -> Path:
    """`document` converted by LibreOffice (headless, a profile of its own so that parallel runs
    do not clash); the PDF's path."""
    if shutil.which("libreoffice") is None:
        pytest.fail("libreoffice is needed to convert the documents (Debian: libreoffice-writer)")
    out, profile = workdir / "pdf", workdir / "lo-profile"
    subprocess.run(
        [
            "libreoffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(document),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = out / f"{document.stem}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    return pdf


def pdf_info(pdf: Path) -> str:
    return subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout


def pages(info: str) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def is_a4(info: str) -> bool:
    return re.search(r"^Page size:\s+595(\.\d+)? x 841(\.\d+)? pts \(A4\)", info, re.M) is not None


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
