"""Taking over a collectivité's history from the tools it used before (docs/adr/0009)."""
