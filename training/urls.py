from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("", views.sandbox_list, name="list"),
    path("new/", views.sandbox_create, name="create"),
    path("<int:pk>/reset/", views.sandbox_reset, name="reset"),
]
