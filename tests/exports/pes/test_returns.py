"""What the treasury sends back (PES_ACQUIT, PES_Retour), the watched folder, and the
treasury's verification reports."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import shutil

import pytest

from exports.pes import build_pes_aller
from exports.pes import services as pes
from exports.pes.demo import make_acquit
from exports.pes.exceptions import PesDuplicateFile, PesStateRefused
from exports.pes.keys import signer_from_upload
from exports.pes.models import PesAcquit, PesFlow, PesRetour, PesVerificationReport
from exports.pes.selectors import visible_flows
from workflow import services as workflow
from workflow.models import AuditEvent

from .fixtures import P12_PASSWORD, start, steps_of
from .flows import depense_bordereau, make_flow, recette_bordereau

ACK_OK = "pastell/ACQUIT_PESALR2_49101169800000_171227_2045.xml"
ACK_MIX = "stela/pes-ack-ko/006111_190130123456-ACK-A3020100_A0000MIX_KO.xml"


@pytest.fixture
def send(commune, finance, chef, ordonnateur, pes_circuit, signer_p12, drop_dir):
    """Import ``data`` (a library PesFlow), take it through its circuit and send it."""

    def go(data) -> PesFlow:
        flow = pes.import_flow(
            collectivite=commune,
            actor=finance,
            source=build_pes_aller(flow=data),
            name=f"{data.file_name}.xml",
        )
        run = start(flow, finance)
        workflow.approve_step(step_run=steps_of(run)[0], actor=chef)
        flow = pes.sign_flow(
            flow=flow,
            actor=ordonnateur,
            signer=signer_from_upload(data=signer_p12, password=P12_PASSWORD),
        )
        transmission = pes.send_flow(flow=flow, actor=finance)
        pes.deliver_transmission(transmission_id=transmission.pk)
        flow.refresh_from_db()
        assert flow.status == "sent"
        return flow

    return go


def _statuses(flow: PesFlow) -> tuple:
    flow.refresh_from_db()
    return flow.status, [
        (b.kind, b.id_bord, b.status, b.ack_accepted) for b in flow.bordereaux.order_by("position")
    ]


def test_the_positive_sample_acknowledges_the_flow_it_names(send, samples, commune, finance):
    data = dataclasses.replace(
        make_flow(depense=0, recette=False),
        file_name="HELIOS_SIMU_ALR2_1514384631_264491346",
        depense=[dataclasses.replace(depense_bordereau(1847, 1, 2, exercice=2015))],
    )
    flow = send(data)
    other = send(make_flow())  # another sent flow: the acquit names the first one

    acquit = pes.import_acquit(
        collectivite=commune, actor=finance, source=samples / ACK_OK, name="ack.xml"
    )

    assert (acquit.flow, acquit.accepted, len(acquit.elements)) == (flow, True, 5)
    assert _statuses(flow) == ("acknowledged", [("depense", 1847, "acknowledged", True)])
    assert _statuses(other)[0] == "sent"
    event = AuditEvent.objects.get(chain__key=f"pesflow:{flow.pk}", action="pes.acquit.imported")
    assert (event.data["accepted"], event.data["flow_status"]) == (True, "acknowledged")


def test_the_negative_sample_rejects_the_bordereaux_with_their_anomalies(
    send, samples, commune, finance
):
    data = dataclasses.replace(
        make_flow(depense=0, recette=False),
        file_name="PesDepense-02-2019-5-11112222333355556",
        depense=[depense_bordereau(5, 20, 3, exercice=2019)],
        recette=[
            dataclasses.replace(
                recette_bordereau(), id_bord=258, exercice=2018, date_emission=dt.date(2019, 1, 20)
            )
        ],
    )
    flow = send(data)

    acquit = pes.import_acquit(
        collectivite=commune, actor=finance, source=samples / ACK_MIX, name="ko.xml"
    )

    assert acquit.accepted is False
    assert _statuses(flow) == (
        "rejected",
        [("depense", 5, "rejected", False), ("recette", 258, "rejected", False)],
    )
    depense = flow.bordereaux.get(kind="depense")
    assert [(e["piece"], e["line"], e["code"]) for e in depense.ack_errors] == [
        ("20", "1", "ERREUR_AUTRE"),
        ("20", "2", "ERREUR_AUTRE"),
        ("20", "3", "ERREUR_AUTRE"),
        ("22", "1", "ERREUR_AUTRE"),
    ]
    assert depense.ack_errors[0]["label"] == "1971 - Compte fonction présent à tort"
    assert depense.ack_errors[0]["message"] == "Other error (see the label)."


def test_an_acquit_accepting_some_bordereaux_accepts_the_flow_in_part(send, commune, finance):
    flow = send(make_flow())

    pes.import_acquit(
        collectivite=commune,
        actor=finance,
        source=make_acquit(flow, rejected=(("depense", 11),)),
        name="ack.xml",
        flow=flow,
    )

    assert _statuses(flow) == (
        "partly_accepted",
        [
            ("depense", 10, "acknowledged", True),
            ("depense", 11, "rejected", False),
            ("recette", 5, "acknowledged", True),
        ],
    )


def test_an_acquit_is_imported_once(send, commune, finance):
    flow = send(make_flow())
    content = make_acquit(flow)
    pes.import_acquit(collectivite=commune, actor=finance, source=content, name="a.xml")

    with pytest.raises(PesDuplicateFile):
        pes.import_acquit(collectivite=commune, actor=finance, source=content, name="a.xml")

    assert PesAcquit.objects.count() == 1


def test_an_acquit_for_no_sent_flow_changes_nothing(signed_flow, commune, finance):
    content = make_acquit(signed_flow)

    with pytest.raises(PesStateRefused) as caught:
        pes.import_acquit(collectivite=commune, actor=finance, source=content, name="a.xml")

    assert str(caught.value) == (
        "No flow sent by this collectivité has the bordereaux this acknowledgement is about."
    )
    with pytest.raises(PesStateRefused):
        pes.import_acquit(
            collectivite=commune, actor=finance, source=content, name="a.xml", flow=signed_flow
        )
    assert (PesAcquit.objects.count(), _statuses(signed_flow)[0]) == (0, "signed")


def test_a_pes_retour_is_kept_and_tied_to_its_flow(samples, commune, finance, imported_flow):
    content = (samples / "pastell/HELIOS_SIMU_RETOUR_1565181244_184723364.xml").read_bytes()

    retour = pes.import_retour(collectivite=commune, actor=finance, source=content, name="r.xml")

    assert (retour.flow, PesRetour.objects.count()) == (None, 1)
    assert retour.bordereaux[0]["domain"] in ("PES_DepenseRetour", "PES_RecetteRetour")
    assert AuditEvent.objects.filter(action="pes.retour.imported").count() == 1
    with pytest.raises(PesDuplicateFile):
        pes.import_retour(collectivite=commune, actor=finance, source=content, name="r.xml")


def test_the_watched_folder_imports_each_new_file_once(
    commune, finance, pes_bytes, samples, tmp_path
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "flux.xml").write_bytes(pes_bytes)
    (inbox / "broken.xml").write_bytes(pes_bytes.replace(b'<NbrPce V="1"/>', b'<NbrPce V="X"/>'))
    shutil.copy(samples / "pastell/HELIOS_SIMU_RETOUR_1565181244_184723364.xml", inbox / "r.xml")

    report = pes.watch_folder(collectivite=commune, actor=finance, folder=inbox, min_age_seconds=0)

    assert sorted(report.imported) == ["flux.xml", "r.xml"]
    assert [name for name, _reason in report.rejected] == ["broken.xml"]
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["flux.xml", "r.xml"]
    assert sorted(p.name for p in (inbox / "rejected").iterdir()) == [
        "broken.xml",
        "broken.xml.errors.txt",
    ]
    errors = (inbox / "rejected" / "broken.xml.errors.txt").read_text()
    assert errors.splitlines()[1].startswith("[XSD] line 23 /PES_Aller/PES_RecetteAller/")
    (inbox / "flux.xml").write_bytes(pes_bytes)  # dropped again: already imported

    again = pes.watch_folder(collectivite=commune, actor=finance, folder=inbox, min_age_seconds=0)

    assert (again.imported, again.rejected) == (["flux.xml"], [])
    assert (PesFlow.objects.count(), PesRetour.objects.count()) == (1, 1)


# --- the treasury's verification ------------------------------------------------------------------


def test_the_treasury_verifies_a_signed_flow_and_the_report_is_kept(signed_flow, treasurer):
    report = pes.verify_for_treasury(flow=signed_flow, actor=treasurer)

    assert (report.valid, report.file_sha256, len(report.bordereaux)) == (
        True,
        signed_flow.current_sha256,
        3,
    )
    first = report.bordereaux[0]
    assert (
        first["valid"],
        first["signer_common_name"],
        first["claimed_role"],
        first["policy_identifier"],
        first["policy_description"],
    ) == (
        True,
        "Jeanne Ordonnatrice",
        "Ordonnateur",
        "urn:oid:1.2.250.1.131.1.5.18.21.1.7",
        "Politique de signature Helios de la DGFiP",
    )
    assert first["signing_time"] is not None and first["certificate_serial"]
    assert PesVerificationReport.objects.get() == report
    assert AuditEvent.objects.filter(action="pes.flow.verified").count() == 1


def test_the_treasury_sees_only_signed_flows(imported_flow, signed_flow, treasurer, finance):
    other = pes.import_flow(
        collectivite=imported_flow.collectivite,
        actor=finance,
        source=io.BytesIO(build_pes_aller(flow=make_flow(depense=1, recette=False))),
        name="other.xml",
    )

    assert list(visible_flows(treasurer)) == [signed_flow]
    assert sorted(f.pk for f in visible_flows(finance)) == sorted([signed_flow.pk, other.pk])
    with pytest.raises(PesStateRefused):
        pes.verify_for_treasury(flow=other, actor=treasurer)
