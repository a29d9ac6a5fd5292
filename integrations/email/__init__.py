"""Outgoing e-mail: Django's e-mail framework, delivered by Amazon SES in the cloud."""
