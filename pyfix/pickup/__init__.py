"""pyfix.pickup - the maildrop queue: sendmail/postdrop files and the pickup service."""
