"""Training sandboxes: demo collectivités that can be reset, where nothing is transmitted
(docs/adr/0010-training-sandbox.md)."""
