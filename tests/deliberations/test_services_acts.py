import io

import pytest

from core.exceptions import InvalidInput
from deliberations import services
from deliberations.enums import ActStatus, ActType, Role
from deliberations.exceptions import (
    InvalidData,
    NotAllowed,
    NumberingError,
    StaleRevision,
    StateConflict,
)
from deliberations.models import Act, Annex, Counter
from tests import pdfs
from tests.factories import AssemblyFactory, MandateFactory, NumberingSchemeFactory, member
from workflow.journal import events_for
from workflow.models import AuditEvent


def create(collectivite, clerk, **kwargs):
    kwargs.setdefault("act_type", ActType.DELIBERATION)
    kwargs.setdefault("objet", "Approbation du règlement intérieur")
    return services.create_project(collectivite=collectivite, actor=clerk, **kwargs)


def test_create_project_records_drafter_defaults_and_event(collectivite, clerk):
    act = create(collectivite, clerk, visas=["Vu le CGCT ;", "  "], articles=["Article unique."])
    assert (act.drafter, act.status, act.nature, act.revision) == (clerk, ActStatus.DRAFT, 1, 1)
    assert act.visas == ["Vu le CGCT ;"]
    assert [e.action for e in events_for(act)] == ["act.created"]


def test_create_project_refuses_multiline_and_long_objet(collectivite, clerk):
    with pytest.raises(InvalidData) as multi:
        create(collectivite, clerk, objet="ligne\nsuite")
    with pytest.raises(InvalidData) as long:
        create(collectivite, clerk, objet="x" * 500)
    assert multi.value.field == "objet"
    assert str(long.value) == "The objet has 500 characters; the prefecture accepts at most 499."
    assert Act.objects.count() == 0


def test_create_project_refused_to_validator_and_outsider(collectivite, validator, outsider):
    for user in (validator, outsider):
        with pytest.raises(NotAllowed):
            create(collectivite, user)
    assert Act.objects.count() == 0


def test_create_project_refuses_other_collectivite_assembly(collectivite, clerk, outsider):
    foreign = AssemblyFactory(collectivite=outsider.memberships.first().collectivite)
    with pytest.raises(NotAllowed):
        create(collectivite, clerk, assembly=foreign)
    assert Act.objects.count() == 0


def test_rapporteur_must_sit_in_the_voting_assembly(collectivite, clerk, assembly):
    other_assembly = AssemblyFactory(collectivite=collectivite, name="Commission finances")
    stray = MandateFactory(assembly=other_assembly)
    with pytest.raises(InvalidData) as info:
        create(collectivite, clerk, assembly=assembly, rapporteur=stray)
    assert info.value.field == "rapporteur"


def test_matiere_must_be_current_and_deep_enough(collectivite, clerk, classification):
    level1 = classification.matieres.get(code="7")
    level2 = classification.matieres.get(code="7.1")
    with pytest.raises(InvalidData):
        create(collectivite, clerk, matiere=level1)
    assert create(collectivite, clerk, matiere=level2).matiere == level2


def test_update_project_bumps_revision_and_refuses_stale_edit(collectivite, clerk):
    act = create(collectivite, clerk)
    updated = services.update_project(act=act, actor=clerk, revision=1, objet="Nouvel objet")
    assert (updated.objet, updated.revision) == ("Nouvel objet", 2)
    with pytest.raises(StaleRevision):
        services.update_project(act=act, actor=clerk, revision=1, objet="Écrasement")
    act.refresh_from_db()
    assert (act.objet, act.revision) == ("Nouvel objet", 2)
    assert [e.action for e in events_for(act)] == ["act.created", "act.updated"]


def test_update_project_refused_once_validated(collectivite, clerk, validator):
    act = services.validate_project(act=create(collectivite, clerk), actor=validator)
    with pytest.raises(StateConflict):
        services.update_project(act=act, actor=clerk, revision=act.revision, objet="Trop tard")
    act.refresh_from_db()
    assert act.objet == "Approbation du règlement intérieur"


def test_add_annex_stores_checked_pdf(collectivite, clerk):
    act = create(collectivite, clerk)
    annex = services.add_annex(
        act=act,
        actor=clerk,
        stream=io.BytesIO(pdfs.blank_pdf(3)),
        filename="plan.pdf",
        title="Plan",
    )
    assert (annex.page_count, annex.position, annex.title) == (3, 1, "Plan")
    assert annex.file.read() == pdfs.blank_pdf(3)
    assert [e.action for e in events_for(act)] == ["act.created", "act.annex.added"]


@pytest.mark.parametrize(
    ("content", "message_start"),
    [
        (b"GIF89a not a pdf at all", "This file is not a PDF document."),
        (pdfs.truncated_pdf(), "This PDF is truncated"),
        (pdfs.encrypted_pdf(), "This PDF is protected by a password"),
        (pdfs.javascript_pdf(), "This PDF contains JavaScript"),
    ],
)
def test_add_annex_refuses_bad_pdf_and_changes_nothing(
    collectivite, clerk, content, message_start, settings
):
    act = create(collectivite, clerk)
    with pytest.raises(InvalidInput) as info:
        services.add_annex(act=act, actor=clerk, stream=io.BytesIO(content), filename="x.pdf")
    assert str(info.value).startswith(message_start)
    assert Annex.objects.count() == 0
    assert not (settings.MEDIA_ROOT / "annexes").exists()
    assert AuditEvent.objects.filter(action="act.annex.added").count() == 0


def test_add_annex_refuses_oversized_file(collectivite, clerk, settings):
    settings.DELIBRE_MAX_ANNEX_BYTES = 1024 * 1024
    act = create(collectivite, clerk)
    with pytest.raises(InvalidInput) as info:
        services.add_annex(
            act=act, actor=clerk, stream=io.BytesIO(b"%PDF-" + b"0" * 2_000_000), filename="big.pdf"
        )
    assert (
        str(info.value) == "The file is larger than 1 MB: split it or compress it, then try again."
    )


def test_remove_annex(collectivite, clerk, settings, django_capture_on_commit_callbacks):
    act = create(collectivite, clerk)
    annex = services.add_annex(
        act=act, actor=clerk, stream=io.BytesIO(pdfs.blank_pdf()), filename="a.pdf"
    )
    path = settings.MEDIA_ROOT / annex.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_annex(annex=annex, actor=clerk)
    assert Annex.objects.count() == 0
    assert not path.exists()


def test_numbering_is_sequential_per_year_and_idempotent(collectivite, clerk, validator, admin):
    NumberingSchemeFactory(
        collectivite=collectivite,
        act_type=ActType.ARRETE,
        pattern="AR{YYYY}_{SEQ:3}",
        counter_name="arretes",
    )
    acts = [
        services.validate_project(
            act=create(collectivite, clerk, act_type=ActType.ARRETE), actor=validator
        )
        for _ in range(3)
    ]
    numbers = [services.assign_number(act=a, actor=clerk).number for a in acts]
    import datetime as dt

    year = dt.date.today().year
    assert numbers == [f"AR{year}_001", f"AR{year}_002", f"AR{year}_003"]
    assert services.assign_number(act=acts[0], actor=clerk).number == f"AR{year}_001"
    assert Counter.objects.get(name="arretes", year=year).last_value == 3


def test_numbering_restarts_each_year(collectivite, clerk, validator):
    import datetime as dt

    NumberingSchemeFactory(
        collectivite=collectivite, act_type=ActType.ARRETE, pattern="AR{YYYY}_{SEQ:3}"
    )
    a, b = (
        services.validate_project(
            act=create(collectivite, clerk, act_type=ActType.ARRETE), actor=validator
        )
        for _ in range(2)
    )
    assert (
        services.assign_number(act=a, actor=clerk, on=dt.date(2025, 12, 31)).number == "AR2025_001"
    )
    assert services.assign_number(act=b, actor=clerk, on=dt.date(2026, 1, 1)).number == "AR2026_001"


def test_numbering_without_scheme_is_refused(collectivite, clerk, validator):
    act = services.validate_project(
        act=create(collectivite, clerk, act_type=ActType.ARRETE), actor=validator
    )
    with pytest.raises(NumberingError):
        services.assign_number(act=act, actor=clerk)
    act.refresh_from_db()
    assert act.number == ""
    assert Counter.objects.count() == 0


def test_numbering_collision_between_schemes_is_refused(collectivite, clerk, validator):
    NumberingSchemeFactory(
        collectivite=collectivite, act_type=ActType.ARRETE, pattern="A{SEQ:3}", counter_name="one"
    )
    NumberingSchemeFactory(
        collectivite=collectivite, act_type=ActType.DECISION, pattern="A{SEQ:3}", counter_name="two"
    )
    first = services.validate_project(
        act=create(collectivite, clerk, act_type=ActType.ARRETE), actor=validator
    )
    second = services.validate_project(
        act=create(collectivite, clerk, act_type=ActType.DECISION), actor=validator
    )
    services.assign_number(act=first, actor=clerk)
    with pytest.raises(NumberingError):
        services.assign_number(act=second, actor=clerk)
    assert Counter.objects.filter(name="two").exists() is False


def test_deliberation_is_not_numbered_by_hand(collectivite, clerk, validator, numbering):
    act = services.validate_project(act=create(collectivite, clerk), actor=validator)
    with pytest.raises(StateConflict):
        services.assign_number(act=act, actor=clerk)


def test_set_numbering_scheme_refuses_illegal_pattern(collectivite, admin):
    with pytest.raises(NumberingError):
        services.set_numbering_scheme(
            collectivite=collectivite, actor=admin, act_type=ActType.ARRETE, pattern="ar-{SEQ:3}"
        )
    scheme = services.set_numbering_scheme(
        collectivite=collectivite, actor=admin, act_type=ActType.ARRETE, pattern="AR{SEQ:3}"
    )
    assert scheme.pattern == "AR{SEQ:3}"


def test_withdraw_requires_reason(collectivite, clerk):
    act = create(collectivite, clerk)
    with pytest.raises(InvalidData):
        services.withdraw_project(act=act, actor=clerk, reason=" ")
    assert (
        services.withdraw_project(act=act, actor=clerk, reason="Abandonné").status
        == ActStatus.WITHDRAWN
    )


def test_validate_project_requires_validator(collectivite, clerk):
    act = create(collectivite, clerk)
    with pytest.raises(NotAllowed):
        services.validate_project(act=act, actor=clerk)
    act.refresh_from_db()
    assert act.status == ActStatus.DRAFT


def test_drafter_without_clerk_role_keeps_editing_own_project(collectivite, clerk):
    act = create(collectivite, clerk)
    clerk.memberships.filter(role=Role.CLERK).delete()
    clerk.__dict__.pop("_delibre_roles", None)
    member(collectivite, Role.VALIDATOR)
    assert services.update_project(act=act, actor=clerk, revision=1, summary="Exposé").revision == 2
