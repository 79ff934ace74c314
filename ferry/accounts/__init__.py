"""Staff accounts: roles, invitations, passphrase and second-factor login, session unlock, duress."""
