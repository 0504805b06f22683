"""Signing API, included under ``api/`` (config/urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "signing-api"

router = SimpleRouter()
router.register("signing/signatures", views.SignatureViewSet, basename="signature")
router.register("signing/certificates", views.CertificateViewSet, basename="certificate")
router.register("signing/batches", views.BatchViewSet, basename="batch")
router.register("signing/trusted-roots", views.TrustedRootViewSet, basename="trusted-root")

urlpatterns = [
    path("signing/steps/<int:pk>/sign/", views.SignStepView.as_view(), name="sign-step"),
    path(
        "signing/documents/<int:pk>/sign/", views.SignDocumentView.as_view(), name="sign-document"
    ),
    path(
        "signing/settings/<int:collectivite_pk>/",
        views.SigningSettingsView.as_view(),
        name="settings",
    ),
    path(
        "signing/settings/<int:collectivite_pk>/check-seal/",
        views.SealCheckView.as_view(),
        name="check-seal",
    ),
    path("signing/step-policies/<int:pk>/", views.StepPolicyView.as_view(), name="step-policy"),
    path("verify/", views.VerifyView.as_view(), name="verify"),
    path("verify/act/<str:token>/", views.ActVerificationView.as_view(), name="verify-act"),
    *router.urls,
]
