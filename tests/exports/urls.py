"""The project's URLs plus the documents pages and API, as config/urls.py will include them
once wired (path("documents/", …) and path("api/", …))."""

from django.urls import include, path

from config.urls import urlpatterns as project_urls

urlpatterns = [
    path("documents/", include("exports.urls")),
    path("api/", include("exports.api.urls")),
    *project_urls,
]
