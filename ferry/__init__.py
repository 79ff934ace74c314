"""Ferry: intake, casework, documentation and advocacy for organisations that move people to safety."""
