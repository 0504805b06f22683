from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.views import TokenView, admin_login

urlpatterns = [
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/auth/token/", TokenView.as_view(), name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script from a URL: the CSP forbids inline scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("deliberations.api.urls")),
    path("api/", include("exports.api.urls")),
    path("documents/", include("exports.urls")),
    path("api/", include("signing.api.urls")),
    path("", include("signing.urls")),
    path("api/", include("workflow.api.urls")),
    path("api/pes/", include("exports.pes.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("exports.actes.api.urls")),
    path("api/", include("exports.publication.api.urls")),
    path("prefecture/", include("exports.actes.urls")),
    path("publication/", include("exports.publication.urls_staff")),
    path("actes/", include("exports.publication.urls")),
    path("", include("workflow.urls")),
    path("", include("exports.pes.urls")),
    path("", include("accounts.urls")),
    path("history/", include("history.urls")),
    path("api/history/", include("history.api.urls")),
    path("training/", include("training.urls")),
    path("api/training/", include("training.api.urls")),
    path("guide/", include("guide.urls")),
    path("", include("deliberations.urls")),
]
