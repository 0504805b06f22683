"""Prefecture exchanges API, included under ``api/`` (config/urls.py)."""

from rest_framework.routers import SimpleRouter

from . import views

app_name = "actes-api"

router = SimpleRouter()
router.register("actes/transmissions", views.TransmissionViewSet, basename="transmission")
router.register("actes/messages", views.PrefectureMessageViewSet, basename="message")

urlpatterns = router.urls
