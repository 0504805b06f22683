"""Publication API, included under ``api/`` (config/urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "publication-api"

router = SimpleRouter()
router.register("publication/acts", views.PublicationViewSet, basename="publication")
router.register(
    "publication/seance-documents", views.SeancePublicationViewSet, basename="seance-publication"
)

urlpatterns = [
    path("publication/opendata/", views.OpenDataView.as_view(), name="opendata"),
    *router.urls,
]
