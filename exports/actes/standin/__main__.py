"""``python -m exports.actes.standin``: run the stand-in S2LOW server."""

from .server import main

main()
