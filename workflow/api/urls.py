from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("assignee-groups", views.AssigneeGroupViewSet, basename="assignee-group")
router.register("circuits", views.CircuitViewSet, basename="circuit")
router.register("runs", views.RunViewSet, basename="run")
router.register("step-runs", views.StepRunViewSet, basename="step-run")
router.register("opinions", views.OpinionViewSet, basename="opinion")
router.register("delegations", views.DelegationViewSet, basename="delegation")
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = [
    path("acts/<int:act_pk>/runs/", views.ActRunsView.as_view(), name="act-runs"),
    path(
        "acts/<int:act_pk>/start-circuit/",
        views.StartCircuitView.as_view(),
        name="act-start-circuit",
    ),
    path("inbox/", views.InboxView.as_view(), name="api-inbox"),
    path(
        "notification-preference/",
        views.NotificationPreferenceView.as_view(),
        name="api-notification-preference",
    ),
    path("journal/", views.JournalView.as_view(), name="api-journal"),
    path("journal/export/", views.JournalExportView.as_view(), name="api-journal-export"),
    *router.urls,
]
