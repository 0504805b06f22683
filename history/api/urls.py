from rest_framework.routers import DefaultRouter

from . import views

app_name = "history-api"

router = DefaultRouter()
router.register("imports", views.ImportBatchViewSet, basename="import")
router.register("acts", views.ImportedActViewSet, basename="act")

urlpatterns = router.urls
