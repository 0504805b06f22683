"""Pages of the signing app: the act's signing panel, séance documents, batch signing, the
signer's certificates, keys and trust settings, and the public verification pages."""
