"""Training sandboxes: created with the demo data by an administrator, shown with a banner on
every page, reset to the demo data without touching any other collectivité, and nothing is
ever transmitted from them (ACTES simulated, PES refused)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from core.middleware import SESSION_KEY
from deliberations import services as deliberations
from deliberations.demo import DEMO_SLUG, load_demo
from deliberations.enums import Role
from deliberations.models import Act, Collectivite, Membership, User
from tests.factories import UserFactory
from training.exceptions import NotASandbox, SandboxNotAllowed
from training.purge import owned_ids
from training.services import create_sandbox, reset_sandbox
from workflow.journal import verify_journal
from workflow.models import AuditEvent

pytestmark = pytest.mark.django_db

BANNER = "<strong>TRAINING</strong>"


@pytest.fixture
def platform() -> User:
    return UserFactory(username="plateforme", is_superuser=True, is_staff=True)


@pytest.fixture
def real(platform) -> Collectivite:
    """The ordinary demo commune, a real (not training) collectivité with data of its own."""
    load_demo()
    return Collectivite.objects.get(slug=DEMO_SLUG)


@pytest.fixture
def real_admin(real) -> User:
    return Membership.objects.get(collectivite=real, role=Role.ADMIN, user__username="admin").user


@pytest.fixture
def sandbox(real_admin):
    return create_sandbox(actor=real_admin, name="Formation des agents — mars")


def snapshot(collectivite: Collectivite) -> dict[str, Any]:
    """Every row that belongs to the collectivité, with all its values."""
    rows = {}
    for model, pks in owned_ids(collectivite).items():
        rows[model._meta.label_lower] = sorted(
            model._base_manager.filter(pk__in=pks).order_by("pk").values_list(),
            key=repr,
        )
    rows["collectivite"] = list(Collectivite.objects.filter(pk=collectivite.pk).values_list())
    rows["memberships"] = sorted(
        Membership.objects.filter(collectivite=collectivite).values_list("user_id", "role")
    )
    return rows


def acts_of(collectivite: Collectivite) -> list[tuple[str, str, str]]:
    return sorted(
        Act.objects.filter(collectivite=collectivite).values_list("objet", "status", "number")
    )


def test_an_administrator_creates_a_sandbox_with_the_demo_data(sandbox, real, real_admin):
    collectivite = sandbox.collectivite

    assert (collectivite.is_training, collectivite.slug, collectivite.name) == (
        True,
        "formation-des-agents-mars",
        "Formation des agents — mars",
    )
    assert collectivite.siren.startswith("999")
    assert acts_of(collectivite) == acts_of(real)
    assert Membership.objects.filter(
        collectivite=collectivite, user=real_admin, role=Role.ADMIN
    ).exists()
    assert sandbox.usernames[:2] == [
        "admin.formation-des-agents-mars",
        "redacteur.formation-des-agents-mars",
    ]
    trainee = User.objects.get(username=sandbox.usernames[0])
    assert trainee.check_password(sandbox.password)
    event = AuditEvent.objects.get(action="training.sandbox.created")
    assert (event.actor, event.data["slug"]) == (real_admin, collectivite.slug)


def test_a_clerk_cannot_create_a_sandbox(real):
    clerk = Membership.objects.filter(collectivite=real, role=Role.CLERK).first().user
    sandboxes = Collectivite.objects.filter(is_training=True).count()

    with pytest.raises(SandboxNotAllowed) as refusal:
        create_sandbox(actor=clerk, name="Formation")

    assert str(refusal.value) == (
        "Only an administrator of a collectivité can create a training sandbox."
    )
    assert Collectivite.objects.filter(is_training=True).count() == sandboxes


def test_every_page_of_a_sandbox_shows_the_training_banner(sandbox, real, real_admin, client):
    client.force_login(real_admin)
    session = client.session
    session[SESSION_KEY] = sandbox.collectivite.pk
    session.save()
    act = Act.objects.filter(collectivite=sandbox.collectivite).first()

    pages = ["/", "/acts/", f"/acts/{act.pk}/", "/seances/", "/settings/", "/history/"]
    answers = {url: client.get(url) for url in pages}
    portal = client.get(f"/actes/{sandbox.collectivite.slug}/")
    session = client.session
    session[SESSION_KEY] = real.pk
    session.save()
    real_home = client.get("/")

    assert {
        url: (a.status_code, BANNER in a.content.decode()) for url, a in answers.items()
    } == dict.fromkeys(pages, (200, True))
    assert (portal.status_code, BANNER in portal.content.decode()) == (200, True)
    assert (real_home.status_code, BANNER in real_home.content.decode()) == (200, False)


def test_a_reset_restores_the_demo_and_leaves_other_collectivites_untouched(
    sandbox, real, real_admin
):
    collectivite = sandbox.collectivite
    created = acts_of(collectivite)
    other = snapshot(real)
    deliberations.create_project(
        collectivite=collectivite,
        actor=real_admin,
        act_type="arrete",
        objet="Arrêté d'essai écrit pendant la formation",
    )
    events = AuditEvent.objects.count()

    reset = reset_sandbox(collectivite=collectivite, actor=real_admin)

    assert acts_of(collectivite) == created
    assert reset.purged is not None and reset.purged.rows["deliberations.act"] == 13
    assert snapshot(real) == other
    assert AuditEvent.objects.count() > events  # the journal is kept, the reset is in it
    assert AuditEvent.objects.filter(action="training.sandbox.reset").count() == 1
    assert User.objects.get(username=sandbox.usernames[0]).check_password(sandbox.password)
    assert verify_journal().ok


def test_a_real_collectivite_is_never_reset(real, real_admin):
    before = snapshot(real)

    with pytest.raises(NotASandbox) as refusal:
        reset_sandbox(collectivite=real, actor=real_admin)

    assert str(refusal.value) == (
        "Commune de Saint-Exemple is not a training sandbox: its data is never deleted."
    )
    assert snapshot(real) == before


def test_nothing_is_sent_to_the_prefecture_from_a_sandbox(sandbox, real_admin, tmp_path):
    """An act of the sandbox goes through the whole transmission: the delivery is simulated."""
    from exports.actes.connectors import scope
    from exports.actes.models import Transmission
    from exports.actes.services import prepare_transmission, send_transmission, transmit
    from history.files import DirectorySource
    from history.services import import_history
    from tests.history.helpers import arrete, write_export

    collectivite = sandbox.collectivite
    folder = write_export(tmp_path / "export", [arrete("AR2024_001", "2024-03-20")])
    import_history(
        collectivite=collectivite,
        actor=real_admin,
        manifest=(folder / "manifest.csv").read_bytes(),
        manifest_name="manifest.csv",
        files=DirectorySource(folder),
    )
    act = Act.objects.get(collectivite=collectivite, number="AR2024_001")

    transmission = prepare_transmission(act=act, actor=real_admin)
    transmit(transmission=transmission, actor=real_admin)
    send_transmission(transmission_id=transmission.pk, actor=real_admin)

    transmission = Transmission.objects.get(pk=transmission.pk)
    assert (transmission.status, transmission.external_id) == (
        "sent",
        f"SIMULATION {transmission.pk}: training sandbox, nothing was sent to the prefecture.",
    )
    root, _prefix = scope(collectivite)
    assert sorted(p for p in Path(root).rglob("*") if p.is_file()) == []


def test_no_treasury_flow_is_sent_from_a_sandbox(sandbox):
    from exports.pes import services as pes
    from exports.pes.exceptions import PesStateRefused
    from exports.pes.models import PesFlow, PesTransmission

    flow = PesFlow.objects.get(collectivite=sandbox.collectivite, status="signed")
    ordonnateur = User.objects.get(username=f"ordonnateur.{sandbox.collectivite.slug}")

    with pytest.raises(PesStateRefused) as refusal:
        pes.send_flow(flow=flow, actor=ordonnateur)

    assert str(refusal.value) == "Nothing is ever transmitted from a training collectivité."
    assert PesTransmission.objects.count() == 0
    flow.refresh_from_db()
    assert flow.status == "signed"


def test_the_command_creates_and_resets_a_sandbox(platform):
    out = io.StringIO()
    call_command("training_sandbox", "create", "--name", "Formation avril", stdout=out)
    created = out.getvalue().splitlines()
    collectivite = Collectivite.objects.get(slug="formation-avril")
    out = io.StringIO()
    call_command("training_sandbox", "reset", "--slug", "formation-avril", stdout=out)

    assert created[0] == (
        "Training sandbox Formation avril (formation-avril) created; nothing is ever sent from it."
    )
    assert created[2:4] == ["  admin.formation-avril", "  redacteur.formation-avril"]
    assert collectivite.is_training is True
    assert out.getvalue().startswith("Formation avril reset: ")


def test_the_api_creates_and_resets_a_sandbox(real, real_admin):
    api = APIClient()
    api.force_authenticate(real_admin)

    created = api.post("/api/training/sandboxes/", {"name": "Formation API"}, format="json")
    pk = created.json()["sandbox"]["id"]
    reset = api.post(f"/api/training/sandboxes/{pk}/reset/")
    real_reset = api.post(f"/api/training/sandboxes/{real.pk}/reset/")

    assert (created.status_code, created.json()["sandbox"]["is_training"]) == (201, True)
    assert len(created.json()["password"]) == 12
    assert (reset.status_code, reset.json()["deleted"]["deliberations.act"]) == (200, 12)
    assert real_reset.status_code == 404


def test_the_page_creates_and_resets_a_sandbox(real, real_admin, client):
    client.force_login(real_admin)

    listed = client.get("/training/")
    created = client.post("/training/new/", {"name": "Formation page"})
    collectivite = Collectivite.objects.get(slug="formation-page")
    reset = client.post(f"/training/{collectivite.pk}/reset/")
    real_reset = client.post(f"/training/{real.pk}/reset/")

    assert listed.status_code == 200
    assert created.status_code == 200
    assert "redacteur.formation-page" in created.content.decode()
    assert (reset.status_code, reset["Location"]) == (302, "/training/")
    assert real_reset.status_code == 404


def test_nobody_is_emailed_from_a_sandbox(
    sandbox, real, mailoutbox, django_capture_on_commit_callbacks
):
    """The same step in the real commune e-mails its validator; in the sandbox the notification
    stays in the application."""
    from workflow import services as workflow
    from workflow.models import Notification

    def submit(collectivite: Collectivite) -> Act:
        act = Act.objects.filter(collectivite=collectivite, status="draft").order_by("pk").first()
        clerk = Membership.objects.filter(collectivite=collectivite, role=Role.CLERK).first().user
        with django_capture_on_commit_callbacks(execute=True):
            workflow.start_circuit(act=act, actor=clerk)
        return act

    in_sandbox = submit(sandbox.collectivite)
    sandbox_mail = len(mailoutbox)
    in_real = submit(real)

    assert (Notification.objects.filter(act=in_sandbox).count(), sandbox_mail) == (1, 0)
    assert (Notification.objects.filter(act=in_real).count(), len(mailoutbox)) == (1, 1)
