from django.urls import path

from .views import decisions, inbox, settings

urlpatterns = [
    path("inbox/", inbox.inbox, name="inbox"),
    path("delegations/", inbox.delegations, name="delegations"),
    path("delegations/<int:pk>/revoke/", inbox.delegation_revoke, name="delegation-revoke"),
    path("notifications/", inbox.notifications, name="notifications"),
    path("notifications/read/", inbox.notifications_read, name="notifications-read"),
    path("circuit/acts/<int:pk>/start/", decisions.start, name="circuit-start"),
    path("circuit/steps/<int:pk>/approve/", decisions.approve, name="step-approve"),
    path("circuit/steps/<int:pk>/reject/", decisions.reject, name="step-reject"),
    path("circuit/steps/<int:pk>/skip/", decisions.skip, name="step-skip"),
    path("circuit/steps/<int:pk>/opinion/", decisions.ask_opinion, name="step-opinion"),
    path("circuit/opinions/<int:pk>/answer/", decisions.answer, name="opinion-answer"),
    path("circuit/runs/<int:pk>/recall/", decisions.recall, name="run-recall"),
    path("circuits/", settings.circuits, name="circuit-settings"),
    path("circuits/<int:pk>/", settings.circuit_edit, name="circuit-edit"),
    path("circuits/<int:pk>/deactivate/", settings.circuit_deactivate, name="circuit-deactivate"),
    path("circuits/desks/", settings.group_create, name="group-create"),
    path("circuits/desks/<int:pk>/", settings.group_edit, name="group-edit"),
]
