from django.urls import path

from core.views import switch_collectivite

from .views import acts, home, seances, settings

urlpatterns = [
    path("", home.home, name="home"),
    path("collectivite/switch/", switch_collectivite, name="switch-collectivite"),
    path("acts/", acts.act_list, name="act-list"),
    path("acts/new/", acts.act_create, name="act-create"),
    path("acts/<int:pk>/", acts.act_detail, name="act-detail"),
    path("acts/<int:pk>/edit/", acts.act_edit, name="act-edit"),
    path("acts/<int:pk>/annexes/", acts.act_annex_add, name="act-annex-add"),
    path("acts/<int:pk>/<slug:name>/", acts.act_action, name="act-action"),
    path("annexes/<int:pk>/", acts.annex_download, name="annex-download"),
    path("annexes/<int:pk>/remove/", acts.annex_remove, name="annex-remove"),
    path("seances/", seances.seance_list, name="seance-list"),
    path("seances/new/", seances.seance_create, name="seance-create"),
    path("seances/<int:pk>/", seances.seance_detail, name="seance-detail"),
    path("seances/<int:pk>/edit/", seances.seance_edit, name="seance-edit"),
    path("seances/<int:pk>/roll-call/", seances.roll_call, name="seance-roll-call"),
    path("seances/<int:pk>/<slug:name>/", seances.seance_action, name="seance-action"),
    path("items/<int:pk>/", seances.item_detail, name="item-detail"),
    path("items/<int:pk>/<slug:name>/", seances.item_action, name="item-action"),
    path("settings/", settings.settings_page, name="settings"),
    path("settings/<slug:tab>/", settings.settings_page, name="settings-tab"),
    path("settings/<slug:tab>/save/", settings.settings_save, name="settings-save"),
    path(
        "settings/officials/<int:official_pk>/mandates/", settings.mandate_add, name="mandate-add"
    ),
]
