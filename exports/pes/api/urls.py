from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("flows", views.FlowViewSet, basename="api-pes-flow")
router.register("bordereaux", views.BordereauViewSet, basename="api-pes-bordereau")
router.register("imports", views.ImportViewSet, basename="api-pes-import")
router.register("acquits", views.AcquitViewSet, basename="api-pes-acquit")
router.register("retours", views.RetourViewSet, basename="api-pes-retour")
router.register(
    "verification-reports", views.VerificationReportViewSet, basename="api-pes-verification-report"
)
router.register("transmissions", views.TransmissionViewSet, basename="api-pes-transmission")

mandates = views.PlannedMandateViewSet.as_view({"get": "list", "post": "create"})

urlpatterns = [
    path("acts/<int:act_pk>/planned-mandates/", mandates, name="api-pes-planned-mandates"),
    *router.urls,
]
