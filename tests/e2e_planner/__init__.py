"""End-to-end tests of the planner workspace (real Chromium)."""
