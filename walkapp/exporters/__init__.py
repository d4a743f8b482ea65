"""Builders of GeoJSON / CSV / DOCX / XLSX / reports from the database."""
