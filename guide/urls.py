from django.urls import path

from . import views

app_name = "guide"

urlpatterns = [
    path("", views.index, name="index"),
    path("img/<str:name>", views.image, name="image"),
    path("tours/seen/", views.tour_seen, name="tour-seen"),
    path("tours/status.json", views.tour_status, name="tour-status"),
    path("tours/<slug:role>.json", views.tour, name="tour"),
    path("<slug:slug>/", views.role, name="role"),
]
