"""Pages of the treasury flows, under /pes/ (included by config/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("pes/", views.flow_list, name="pes-flow-list"),
    path("pes/import/", views.flow_import, name="pes-flow-import"),
    path("pes/imports/<int:pk>/", views.import_detail, name="pes-import-detail"),
    path("pes/imports/<int:pk>/progress/", views.import_progress, name="pes-import-progress"),
    path("pes/treasury/", views.treasury, name="pes-treasury"),
    path("pes/returns/", views.returns, name="pes-returns"),
    path(
        "pes/returns/<str:kind>/<int:pk>/download/",
        views.return_download,
        name="pes-return-download",
    ),
    path("pes/settings/", views.pes_settings, name="pes-settings"),
    path("pes/build/", views.build_list, name="pes-build-list"),
    path("pes/build/<int:act_pk>/", views.build, name="pes-build"),
    path("pes/<int:pk>/", views.flow_detail, name="pes-flow-detail"),
    path(
        "pes/<int:pk>/bordereaux/<int:bordereau_pk>/",
        views.bordereau_detail,
        name="pes-bordereau",
    ),
    path(
        "pes/<int:pk>/attachments/<int:attachment_pk>/",
        views.attachment_download,
        name="pes-attachment",
    ),
    path("pes/<int:pk>/download/", views.flow_download, name="pes-flow-download"),
    path(
        "pes/<int:pk>/download/original/",
        views.flow_download,
        {"original": True},
        name="pes-flow-download-original",
    ),
    path("pes/<int:pk>/start/", views.flow_start, name="pes-flow-start"),
    path("pes/<int:pk>/visa/", views.flow_visa, name="pes-flow-visa"),
    path("pes/<int:pk>/reject/", views.flow_reject, name="pes-flow-reject"),
    path("pes/<int:pk>/recall/", views.flow_recall, name="pes-flow-recall"),
    path("pes/<int:pk>/sign/", views.flow_sign, name="pes-flow-sign"),
    path("pes/<int:pk>/withdraw/", views.flow_withdraw, name="pes-flow-withdraw"),
    path("pes/<int:pk>/send/", views.flow_send, name="pes-flow-send"),
    path("pes/<int:pk>/retry/", views.transmission_retry, name="pes-transmission-retry"),
    path("pes/<int:pk>/acquit/", views.flow_acquit, name="pes-flow-acquit"),
    path("pes/<int:pk>/verify/", views.flow_verify, name="pes-flow-verify"),
    path("pes/<int:pk>/reports/<int:report_pk>/", views.report_detail, name="pes-report"),
]
