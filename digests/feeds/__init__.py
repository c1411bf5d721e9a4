"""Feeds: safe fetching, parsing (RSS/Atom/RDF/JSON Feed), entries, article extraction."""
