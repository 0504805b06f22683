from rest_framework.routers import DefaultRouter

from . import views

app_name = "training-api"

router = DefaultRouter()
router.register("sandboxes", views.SandboxViewSet, basename="sandbox")

urlpatterns = router.urls
