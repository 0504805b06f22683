"""The public portal, included under ``actes/`` (config/urls.py). No login anywhere here."""

from django.urls import path, register_converter

from . import portal


class ActIdentifier:
    """An act number as ACTES allows it (``DEL2026_0042``): never a word like ``seances``."""

    regex = "[0-9A-Z][0-9A-Z_]{0,13}[0-9A-Z]"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ActIdentifier, "act")

app_name = "publication"

urlpatterns = [
    path("", portal.index, name="index"),
    path("<slug:slug>/", portal.act_list, name="acts"),
    path("<slug:slug>/flux.atom", portal.ActsFeed(), name="feed"),
    path("<slug:slug>/donnees/", portal.opendata_page, name="opendata"),
    path("<slug:slug>/donnees/deliberations.csv", portal.opendata_csv, name="opendata-csv"),
    path("<slug:slug>/donnees/deliberations.json", portal.opendata_json, name="opendata-json"),
    path("<slug:slug>/seances/", portal.seance_list, name="seances"),
    path("<slug:slug>/seances/<int:pk>/", portal.seance_detail, name="seance"),
    path("<slug:slug>/seances/<int:pk>/<str:kind>.pdf", portal.seance_pdf, name="seance-pdf"),
    path("<slug:slug>/<act:identifier>/", portal.act_detail, name="act"),
    path("<slug:slug>/<act:identifier>.pdf", portal.act_pdf, name="act-pdf"),
]
