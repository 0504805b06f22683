"""Pages of the signing app, included at the root (config/urls.py): the public verification
pages under ``verify/`` (the path printed on acts, docs/adr/0004), the others under
``signing/``."""

from django.urls import path

from .views import acts, batches, certificates, public, settings

app_name = "signing"

urlpatterns = [
    path("verify/", public.verify, name="verify"),
    path("verify/act/<str:token>/", public.verify_act, name="verify-act"),
    path("signing/steps/<int:pk>/sign/", acts.sign_step, name="sign-step"),
    path("signing/versions/<int:pk>/file/", acts.version_file, name="version-file"),
    path("signing/versions/<int:pk>/report/", acts.version_report, name="version-report"),
    path("signing/seances/<int:pk>/", acts.seance_signatures, name="seance"),
    path("signing/documents/<int:pk>/sign/", acts.sign_seance_document, name="sign-document"),
    path("signing/batch/", batches.batch_page, name="batch-new"),
    path("signing/batches/<int:pk>/", batches.batch_detail, name="batch"),
    path("signing/batches/<int:pk>/progress/", batches.batch_progress, name="batch-progress"),
    path("signing/certificates/", certificates.certificates, name="certificates"),
    path(
        "signing/certificates/<int:pk>/delete/",
        certificates.certificate_delete,
        name="certificate-delete",
    ),
    path("signing/settings/", settings.settings_page, name="settings"),
    path("signing/settings/save/", settings.settings_save, name="settings-save"),
    path("signing/settings/roots/", settings.root_add, name="root-add"),
    path("signing/settings/roots/<int:pk>/toggle/", settings.root_toggle, name="root-toggle"),
    path("signing/settings/seal-check/", settings.seal_check, name="seal-check"),
    path("signing/settings/steps/<int:pk>/", settings.step_policy, name="step-policy"),
]
