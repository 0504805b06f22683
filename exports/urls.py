"""Pages of the documents, included under ``documents/`` (config/urls.py)."""

from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("acts/<int:pk>/", views.act_documents, name="act-documents"),
    path("acts/<int:pk>/panel/", views.act_panel, name="act-panel"),
    path("acts/<int:pk>/request/", views.act_request, name="act-request"),
    path("acts/<int:pk>/preview/", views.act_preview, name="act-preview"),
    path("seances/<int:pk>/", views.seance_documents, name="seance-documents"),
    path("seances/<int:pk>/panel/", views.seance_panel, name="seance-panel"),
    path("seances/<int:pk>/request/", views.seance_request, name="seance-request"),
    path("seances/<int:pk>/convocations.zip", views.convocations_zip, name="convocations-zip"),
    path("<int:pk>/status/", views.document_status, name="status"),
    path("<int:pk>/pack-progress/", views.pack_progress, name="pack-progress"),
    path("<int:pk>/view/", views.document_file, {"disposition": "view"}, name="view"),
    path("<int:pk>/download/", views.document_file, {"disposition": "download"}, name="download"),
    path("preview/<slug:family>.css", views.preview_stylesheet, name="preview-css"),
]
