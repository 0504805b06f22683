"""Pages of the prefecture exchanges, included under ``prefecture/`` (config/urls.py)."""

from django.urls import path

from . import views

app_name = "actes"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("import/", views.import_return, name="import"),
    path("poll/", views.poll_now, name="poll"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/classification/", views.fetch_classification, name="fetch-classification"),
    path("acts/<int:pk>/prepare/", views.prepare, name="prepare"),
    path("transmissions/<int:pk>/", views.transmission_detail, name="transmission"),
    path("transmissions/<int:pk>/transmit/", views.transmit, name="transmit"),
    path("transmissions/<int:pk>/discard/", views.discard, name="discard"),
    path("transmissions/<int:pk>/reconcile/", views.reconcile, name="reconcile"),
    path("transmissions/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("transmissions/<int:pk>/archive/", views.archive, name="archive"),
    path("messages/<int:pk>/", views.message_detail, name="message"),
    path("messages/<int:pk>/answer/", views.answer, name="answer"),
    path("messages/<int:pk>/close/", views.close, name="close"),
    path(
        "messages/<int:pk>/classification/",
        views.import_classification,
        name="import-classification",
    ),
    path("messages/<int:pk>/file/", views.message_file, name="message-file"),
    path("messages/<int:pk>/files/<int:index>/", views.message_file, name="message-document"),
]
