"""The small web app behind the links in digests: signed tokens and server-rendered pages."""
