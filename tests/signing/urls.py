"""The URLs the signing tests go through: the project's (config/urls.py includes the signing
pages and API). Kept as a module so that a test can mount the signing URLs alone if the
project's wiring is ever in flux."""

from config.urls import urlpatterns

__all__ = ["urlpatterns"]
