"""Pure functions on plain data: no Flask, no database session."""
