"""@ctes (ACTES): the library that builds, reads and transmits the prefecture's messages.

Pure functions and protocol clients, no models: ``builder`` and ``responses`` write the
collectivité's archives, ``reader`` reads the prefecture's returns, ``s2low`` talks to the
S2LOW tiers de télétransmission and ``standin`` imitates it for tests.
"""
