from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/auth/token/", obtain_auth_token, name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
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
    path("", include("deliberations.urls")),
]
