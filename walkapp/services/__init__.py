"""Use cases that touch the database. They flush; the request (or command) boundary commits."""
