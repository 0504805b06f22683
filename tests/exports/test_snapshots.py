"""Snapshots built from real model data (no rendering): exact values per SNAPSHOTS.md."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from freezegun import freeze_time

from deliberations import services
from deliberations.models import Ballot
from exports import services as document_services
from exports.exceptions import DocumentUnavailable
from exports.models import DocumentSettings, RenderedDocument
from exports.snapshots import build_inputs, customisation_for
from exports.snapshots.common import iso_datetime
from workflow.models import AuditEvent

from .conftest import DOCUMENTS, play

pytestmark = DOCUMENTS


def names(mandates, indexes):
    return [mandates[i].official.full_name for i in indexes]


def test_act_snapshot_of_a_voted_deliberation(played):
    act, m = played.acts[0], played.mandates

    snapshot = build_inputs("act", act=act, verification_token="abc123").snapshot

    assert snapshot["schema"] == "delibre.act/1"
    assert "draft" not in snapshot
    assert snapshot["rendered_at"] == iso_datetime(act.numbered_at)
    assert snapshot["act"] == {
        "type": "deliberation",
        "number": f"DEL{act.number_year}_0001",
        "objet": "Attribution d’une subvention de 1 500 € au comité des fêtes « Les Amis »",
        "decision_date": act.decision_date.isoformat(),
        "nature_code": "DE",
        "preamble": "Le comité organise la fête locale.",
        "visas": ["Vu le code général des collectivités territoriales ;"],
        "considerants": ["Considérant l’intérêt local de la fête ;"],
        "articles": ["Une subvention de 1 500 € est attribuée au comité des fêtes."],
        "budget": {"amount": "1500.00", "year": 2026},
    }
    assert snapshot["rapporteur"] == {
        "name": m[3].official.formal_name,
        "quality": "Conseiller municipal",
    }
    assert snapshot["seance"]["president"] == {
        "name": m[0].official.formal_name,
        "quality": "Maire",
    }
    attendance = snapshot["attendance"]
    assert {k: attendance[k] for k in ("members_in_office", "present", "represented")} == {
        "members_in_office": 29,
        "present": 20,
        "represented": 2,
    }
    assert attendance["voting"] == 22
    assert attendance["absent"] == 7
    assert attendance["quorum"] == {"required": 15, "reached": True, "waived": False}
    assert attendance["present_names"] == names(m, range(20))
    assert attendance["represented_names"] == [
        {"name": m[20].official.full_name, "proxy_holder": m[0].official.full_name},
        {"name": m[21].official.full_name, "proxy_holder": m[2].official.full_name},
    ]
    assert attendance["excused_names"] == names(m, [22])
    assert attendance["absent_names"] == names(m, range(23, 29))
    assert snapshot["vote"] == {
        "mode": "detail",
        "result": "adopted",
        "secret": False,
        "for": 20,
        "against": 1,
        "abstention": 1,
        "not_voting": 0,
        "president_casting_vote": False,
        "ballots": {
            "for": names(m, [*range(5), *range(6, 21)]),
            "against": names(m, [5]),
            "abstention": names(m, [21]),
            "not_voting": [],
        },
    }
    assert snapshot["signatures"] == [
        {
            "field": "Sig_President",
            "role": "Le Maire",
            "name": m[0].official.full_name,
            "quality": "Maire",
        },
        {
            "field": "Sig_Secretaire",
            "role": "Le secrétaire de séance",
            "name": m[1].official.full_name,
            "quality": "Conseiller municipal",
        },
    ]
    assert snapshot["author"] == {"name": m[0].official.formal_name, "quality": "Maire"}
    assert snapshot["verification_url"] == "http://127.0.0.1:8000/verify/act/abc123/"


def test_act_snapshot_counts_come_from_the_recorded_vote(played):
    # Ballot rows name the represented member, not the proxy holder who cast the vote.
    ballot = Ballot.objects.get(vote__item=played.items[0], mandate=played.mandates[21])

    assert ballot.cast_by_id == played.mandates[2].pk
    assert ballot.choice == "abstention"


def test_act_signature_fields_follow_the_blocks(played):
    inputs = build_inputs("act", act=played.acts[0], verification_token="t")

    assert [f["name"] for f in inputs.signature_fields] == ["Sig_President", "Sig_Secretaire"]
    assert inputs.template_name == "pdf/act.html"


def test_publication_seal_field_is_reserved_when_the_collectivite_wants_it(played, collectivite):
    DocumentSettings.objects.create(
        collectivite=collectivite, publication_seal=True, portal_url="https://example.org/actes"
    )

    inputs = build_inputs("act", act=played.acts[0], verification_token="t")

    assert inputs.snapshot["publication"] == {
        "portal_url": "https://example.org/actes",
        "seal_field": "Sig_Publication",
    }
    assert inputs.signature_fields[-1] == {
        "name": "Sig_Publication",
        "label": "Cachet de publication",
    }


def test_project_before_its_vote_is_a_draft(collectivite, clerk, validator, assembly, mandates):
    played = play(collectivite, clerk, validator, assembly, mandates, close=False)
    postponed = played.acts[2]

    snapshot = build_inputs("act", act=postponed).snapshot

    assert snapshot["draft"] is True
    assert "number" not in snapshot["act"]
    assert {"vote", "attendance", "signatures", "author", "verification_url"} & set(
        snapshot
    ) == set()
    assert snapshot["seance"]["place"] == "la salle du conseil"


def test_arrete_is_signed_by_the_mayor_without_circuit(arrete, mandates):
    snapshot = build_inputs("act", act=arrete, verification_token="t").snapshot

    assert snapshot["act"]["number"] == arrete.number
    assert snapshot["act"]["issuer"] == "Le Maire de Commune de Saint-Exemple,"
    assert snapshot["signatures"] == [
        {
            "field": "Sig_Signataire",
            "role": "Le Maire",
            "name": mandates[0].official.full_name,
            "quality": "Maire",
        }
    ]
    assert snapshot["author"] == {"name": mandates[0].official.full_name, "quality": "Maire"}


def test_minutes_list_each_item_with_its_vote(played):
    snapshot = build_inputs("minutes", seance=played.seance).snapshot
    m = played.mandates

    assert snapshot["closed_at"] == iso_datetime(played.seance.closed_at)
    assert snapshot["rendered_at"] == snapshot["closed_at"]
    assert [(i["position"], i.get("number", ""), i["status"]) for i in snapshot["items"]] == [
        (1, played.acts[0].number, "adopted"),
        (2, played.acts[1].number, "adopted"),
        (3, "", "postponed"),
    ]
    second = snapshot["items"][1]
    assert second["vote"] == {
        "mode": "totals",
        "result": "adopted",
        "secret": False,
        "for": 19,
        "against": 2,
        "abstention": 0,
        "not_voting": 0,
        "president_casting_vote": False,
    }
    assert second["attendance_note"] == (
        "Présents : 19, représentés : 2, votants : 21. Intéressé(e)s, n’ayant pas pris part "
        f"au vote : {m[7].official.full_name}."
    )
    assert [s["field"] for s in snapshot["signatures"]] == ["Sig_President", "Sig_Secretaire"]


def test_minutes_are_refused_before_closing(collectivite, clerk, validator, assembly, mandates):
    played = play(collectivite, clerk, validator, assembly, mandates, close=False)

    with pytest.raises(DocumentUnavailable):
        document_services.request_document(kind="minutes", target=played.seance, actor=clerk)

    assert RenderedDocument.objects.count() == 0


def test_convocation_is_addressed_to_one_member(played):
    member = played.mandates[4]

    snapshot = build_inputs("convocation", seance=played.seance, recipient=member).snapshot

    assert snapshot["recipient"]["name"] == member.official.formal_name
    assert snapshot["convener"] == {
        "name": played.mandates[0].official.formal_name,
        "quality": "Le Maire",
    }
    assert snapshot["sent_on"] == played.seance.convocation_date.isoformat()
    # As sent: every item planned (the postponement happened at the séance).
    assert [i["status"] for i in snapshot["items"]] == ["planned", "planned", "planned"]
    assert snapshot["documents_url"] == f"http://127.0.0.1:8000/seances/{played.seance.pk}/"


def test_agenda_snapshot_does_not_change_after_the_seance(
    collectivite, clerk, validator, assembly, mandates
):
    played = play(collectivite, clerk, validator, assembly, mandates, close=False)
    before = build_inputs("agenda", seance=played.seance).snapshot

    services.close_seance(seance=played.seance, actor=clerk)
    played.seance.refresh_from_db()

    assert build_inputs("agenda", seance=played.seance).snapshot == before


def test_deliberation_list(played):
    snapshot = build_inputs("deliberation_list", seance=played.seance).snapshot

    assert snapshot["items"] == [
        {"number": played.acts[0].number, "objet": played.acts[0].objet, "status": "adopted"},
        {"number": played.acts[1].number, "objet": played.acts[1].objet, "status": "adopted"},
        {"number": "", "objet": played.acts[2].objet, "status": "postponed"},
    ]
    assert [s["field"] for s in snapshot["signatures"]] == ["Sig_President"]


def test_proof_sheet_without_circuit_comes_from_the_journal(arrete, validator):
    snapshot = build_inputs("proof", act=arrete).snapshot
    last = (
        AuditEvent.objects.filter(chain__key=f"act:{arrete.pk}")
        .exclude(action__startswith="document.")
        .order_by("-seq")
        .first()
    )

    assert snapshot["folder"] == {
        "number": arrete.number,
        "objet": arrete.objet,
        "type_label": "Arrêté",
    }
    steps = snapshot["circuit"]["steps"]
    assert [(s["position"], s["kind"]) for s in steps] == [(1, "visa")]
    assert [(d["actor"], d["action"], d["comment"]) for d in steps[0]["decisions"]] == [
        (validator.display_name, "approved", "Visa favorable")
    ]
    assert snapshot["journal"] == {
        "chain": f"act:{arrete.pk}",
        "last_event_seq": last.seq,
        "last_event_hash": last.hash,
        "last_event_at": iso_datetime(last.created_at),
    }


def test_customisation_holds_only_what_differs_from_the_defaults(collectivite):
    DocumentSettings.objects.create(
        collectivite=collectivite,
        header_lines=["République française", " "],
        primary_colour="#1D3557",
        wording={"certification": "Pour extrait conforme.", "unknown": "x", "closing_formula": ""},
    )

    assert customisation_for(collectivite) == {
        "header_lines": ["République française"],
        "wording": {"certification": "Pour extrait conforme."},
    }


def test_rendered_at_never_comes_from_now(played):
    first = build_inputs("act", act=played.acts[0], verification_token="t").snapshot

    with freeze_time(timezone.now() + dt.timedelta(days=3)):
        again = build_inputs("act", act=played.acts[0], verification_token="t").snapshot

    assert again == first


def test_signers_print_a_delegation_and_stick_to_later_versions(
    arrete, clerk, mandates, django_capture_on_commit_callbacks
):
    delegate = {"name": "Paul DURAND", "quality": "Adjoint délégué", "delegator": "le Maire"}

    with django_capture_on_commit_callbacks():
        first = document_services.request_document(
            kind="act", target=arrete, actor=clerk, signers={"Sig_Signataire": delegate}
        )
        again = document_services.request_document(kind="act", target=arrete, actor=clerk)

    assert first.snapshot["signatures"] == [
        {
            "field": "Sig_Signataire",
            "role": "Le Maire",
            "name": "Paul DURAND",
            "quality": "Adjoint délégué",
            "delegation": {"delegator": "le Maire"},
        }
    ]
    assert first.snapshot["author"] == {"name": "Paul DURAND", "quality": "Adjoint délégué"}
    assert again.pk == first.pk
    assert first.signers == {"Sig_Signataire": delegate}
