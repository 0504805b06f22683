from django.urls import path

from . import views

app_name = "history"

urlpatterns = [
    path("", views.import_page, name="import"),
    path("check/", views.check, name="check"),
    path("import/", views.confirm, name="confirm"),
    path("cancel/", views.cancel, name="cancel"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
]
