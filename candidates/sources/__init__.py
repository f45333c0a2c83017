"""Candidate sources, one per module; each is fail-open (see `base.Source`)."""
