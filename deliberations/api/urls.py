from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("collectivites", views.CollectiviteViewSet, basename="collectivite")
router.register("services", views.ServiceViewSet, basename="service")
router.register("assemblies", views.AssemblyViewSet, basename="assembly")
router.register("elected-officials", views.ElectedOfficialViewSet, basename="elected-official")
router.register("mandates", views.MandateViewSet, basename="mandate")
router.register("classifications", views.ClassificationViewSet, basename="classification")
router.register("matieres", views.MatiereViewSet, basename="matiere")
router.register("numbering-schemes", views.NumberingSchemeViewSet, basename="numbering-scheme")
router.register("acts", views.ActViewSet, basename="act")
router.register("annexes", views.AnnexViewSet, basename="annex")
router.register("seances", views.SeanceViewSet, basename="seance")
router.register("agenda-items", views.AgendaItemViewSet, basename="agenda-item")

urlpatterns = router.urls
