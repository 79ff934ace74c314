"""Anonymous intake portal: the request form, receipt codes, the requester's mailbox and check-ins."""
