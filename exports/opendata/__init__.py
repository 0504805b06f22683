"""Open data: the SCDL « Délibérations » CSV and Délibre's richer JSON export (pure functions)."""
