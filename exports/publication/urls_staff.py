"""Staff pages of the publication, included under ``publication/`` (config/urls.py)."""

from django.urls import path

from . import views

app_name = "publication-staff"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("acts/<int:pk>/publish/", views.publish_act, name="publish"),
    path("publications/<int:pk>/unpublish/", views.unpublish_act, name="unpublish"),
    path(
        "seances/<int:pk>/<slug:kind>/publish/",
        views.publish_seance_document,
        name="publish-seance-document",
    ),
    path(
        "seance-documents/<int:pk>/unpublish/",
        views.unpublish_seance_document,
        name="unpublish-seance-document",
    ),
]
