"""Documents API, included under ``api/`` (config/urls.py)."""

from rest_framework.routers import SimpleRouter

from . import views

app_name = "exports-api"

router = SimpleRouter()
router.register("documents", views.DocumentViewSet, basename="document")

urlpatterns = router.urls
