"""Check-in plans, the person's and staff check-ins, the escalation sweep, and their pages."""
