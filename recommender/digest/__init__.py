"""Digests: render (Jinja2), build the MIME message, send over SMTP or write to the outbox."""
