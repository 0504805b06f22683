"""The signing pages: the act's signing panel, the public verification pages, batch signing,
the signer's certificates and the keys-and-trust settings."""

from __future__ import annotations

import io

import cssselect2
import pytest
import tinyhtml5

from signing.models import Signature, SigningBatch, TrustedRoot, UserCertificate
from signing.selectors import latest_report
from tests.signing.conftest import PASSWORD, adopted_deliberation, arrete_in_circuit
from tests.signing.helpers import content, state

pytestmark = pytest.mark.usefixtures("signing_urls")


def select(response, selector: str) -> list:
    """Elements matching a CSS selector (cssselect2 and tinyhtml5 come with WeasyPrint)."""
    root = tinyhtml5.parse(response.content.decode(), namespace_html_elements=False)
    wrapper = cssselect2.ElementWrapper.from_html_root(root)
    return [match.etree_element for match in wrapper.query_all(selector)]


def texts(response, selector: str) -> list[str]:
    return [" ".join("".join(e.itertext()).split()) for e in select(response, selector)]


def messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def upload(name: str, data: bytes):
    file = io.BytesIO(data)
    file.name = name
    return file


def sign_in_page(client, town, step, who="maire", password=PASSWORD):
    client.force_login(getattr(town, who))
    return client.post(
        f"/signing/steps/{step.pk}/sign/",
        {"certificate": town.certificates[who].pk, "password": password, "comment": ""},
        follow=True,
    )


# --- The act page -------------------------------------------------------------------------------


def test_the_act_page_offers_the_signer_her_certificate(commune, client):
    act, _first, _second, _document = adopted_deliberation(commune)
    client.force_login(commune.maire)

    response = client.get(f"/acts/{act.pk}/")

    assert response.status_code == 200
    assert texts(response, "#signing h2") == ["Electronic signatures"]
    assert texts(response, "#signing form button") == ["Sign the act"]
    assert texts(response, "#id_certificate option") == [
        "Marie DUPONT — issued by Délibre Démo Autorité de Signature, valid until 01/01/2049"
    ]
    assert texts(response, "#signing .empty") == ["This act has not been signed yet."]


def test_signing_from_the_act_page_shows_the_report(commune, client):
    act, first, _second, _document = adopted_deliberation(commune)

    response = sign_in_page(client, commune, first)

    assert response.redirect_chain == [(f"/acts/{act.pk}/#signing", 302)]
    assert messages(response) == [
        "Signed at level B-LT and validated: every signature of the document is valid."
    ]
    version = Signature.objects.get()
    assert texts(response, "#signing .signature-report tbody td:first-child strong") == [
        "Marie DUPONT"
    ]
    assert texts(response, "#signing h3") == ["Validation report of the signed PDF (version 1)"]
    download = client.get(f"/signing/versions/{version.pk}/file/")
    assert (download.status_code, download["X-Content-SHA256"]) == (200, version.output_sha256)
    assert b"".join(download.streaming_content) == content(version)


def test_a_wrong_password_in_the_page_changes_nothing(commune, client):
    _act, first, _second, document = adopted_deliberation(commune)
    before = state(first, document)

    response = sign_in_page(client, commune, first, password="mauvais")

    assert messages(response) == [
        "Wrong password for this certificate file: type it again. It is the password given with the certificate, not the one you log in with."
    ]
    assert state(first, document) == before


def test_a_validator_sees_why_he_cannot_sign(commune, client):
    act, _first, _second, _document = adopted_deliberation(commune)
    client.force_login(commune.validator)

    response = client.get(f"/acts/{act.pk}/")

    assert texts(response, "#signing form") == []
    assert texts(response, "#signing p.help")[0] == (
        "You cannot decide on this step: you are not one of its assignees, neither directly, "
        "nor through a desk, nor by a delegation in force for this act. If you should be, ask "
        "an administrator to check the circuit and its desks."
    )


def test_another_collectivite_gets_a_404(commune, client):
    from deliberations.enums import Role
    from tests.factories import CollectiviteFactory, member

    act, first, _second, document = adopted_deliberation(commune)
    version = None
    outsider = member(CollectiviteFactory(), Role.SIGNER, Role.ADMIN, username="outsider")
    client.force_login(outsider)
    before = state(first, document)

    assert client.post(f"/signing/steps/{first.pk}/sign/", {"password": "x"}).status_code == 404
    assert client.get(f"/acts/{act.pk}/").status_code == 404
    assert state(first, document) == before
    assert version is None


# --- Public verification ------------------------------------------------------------------------


@pytest.fixture
def signed_act(commune):
    from signing import services

    act, first, second, document = adopted_deliberation(commune)
    services.sign_step(
        step_run=first,
        actor=commune.maire,
        certificate=commune.certificates["maire"],
        password=PASSWORD,
    )
    version = services.sign_step(
        step_run=second,
        actor=commune.secretaire,
        certificate=commune.certificates["secretaire"],
        password=PASSWORD,
    )
    return act, version, document


def test_anyone_verifies_a_signed_act_and_sees_it_was_signed_here(signed_act, client):
    act, version, _document = signed_act

    page = client.get("/verify/")
    response = client.post("/verify/", {"file": upload("acte.pdf", content(version))})

    assert (page.status_code, response.status_code) == (200, 200)
    assert texts(response, "#result .alert") == [
        "Every signature of this document is valid, and the document was not modified after "
        "signing.",
        f"This exact file was signed by this instance, for Commune de Saint-Exemple. Act "
        f"{act.number} — {act.objet}.",
    ]
    assert texts(response, "#result tbody td:first-child strong") == ["Marie DUPONT", "Jean MARTIN"]


def test_a_page_changed_after_signing_is_shown_modified(signed_act, client):
    from tests.signing.test_commands import stamp_over_page

    _act, version, _document = signed_act

    response = client.post(
        "/verify/", {"file": upload("acte.pdf", stamp_over_page(content(version)))}
    )

    assert texts(response, "#result .alert")[0] == (
        "This document is not valid: a signature is missing, broken, not trusted, or the "
        "document was modified after signing."
    )
    assert texts(response, "#result tbody td:nth-child(6) .check") == ["yes", "yes"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"GIF89a not a pdf",
            "This file is neither a PDF document nor a PES flow: nothing can be verified.",
        ),
        (
            b"%PDF-1.7\ngarbage",
            "This file cannot be read as a PDF document (damaged or not a PDF).",
        ),
        (
            b"%PDF-1.7\n" + b"0" * 2048,
            "The file is larger than 0 MB: split it or compress it, then try again.",
        ),
    ],
    ids=["not-a-pdf", "damaged", "too-large"],
)
def test_what_cannot_be_verified_is_refused_clearly(commune, client, settings, data, message):
    settings.DELIBRE_MAX_VERIFY_BYTES = 1024

    response = client.post("/verify/", {"file": upload("x.pdf", data)})

    assert (response.status_code, texts(response, "[role=alert]")) == (400, [message])


def test_the_url_printed_on_the_act_shows_its_signatures(signed_act, client):
    act, version, document = signed_act
    url = f"/verify/act/{document.verification_token}/"

    page = client.get(url)
    same = client.post(url, {"file": upload("copie.pdf", content(version))})
    other = client.post(
        url, {"file": upload("copie.pdf", content(Signature.objects.get(sequence=1, act=act)))}
    )

    assert texts(page, "h1") == [act.objet]
    assert texts(page, "h2")[0] == "Signed version 2"
    assert texts(page, ".hash") == [f"SHA-256 {version.output_sha256}"]
    assert (
        texts(same, "[role=status]")[0]
        == "Your copy is exactly the current signed version of this act."
    )
    assert texts(other, "[role=status]")[0] == (
        "Your copy is not the current signed version of this act (its fingerprint differs)."
    )
    assert client.get("/verify/act/0123456789abcdef0123/").status_code == 404


# --- Batch signing ------------------------------------------------------------------------------


def test_batch_signing_page_signs_and_shows_the_progress(
    commune, client, django_capture_on_commit_callbacks
):
    folders = [arrete_in_circuit(commune, objet=f"Arrêté n° {n}") for n in (1, 2)]
    client.force_login(commune.maire)

    page = client.get("/signing/batch/")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/signing/batch/",
            {
                "step_runs": [step.pk for _act, step, _doc in folders],
                "certificate": commune.certificates["maire"].pk,
                "password": PASSWORD,
            },
        )
    batch = SigningBatch.objects.get()
    progress = client.get(f"/signing/batches/{batch.pk}/progress/")

    assert len(texts(page, "input[name=step_runs]")) == 2
    assert response.status_code == 302 and response["Location"] == f"/signing/batches/{batch.pk}/"
    assert texts(progress, "h2") == ["Finished"]
    assert texts(progress, "p") == ["2 signed, 0 not signed."]
    assert [e.get("value") for e in select(progress, "progress")] == ["2"]
    assert Signature.objects.count() == 2


def test_someone_elses_batch_is_not_found(commune, client):
    batch = SigningBatch.objects.create(collectivite=commune.collectivite, created_by=commune.maire)
    client.force_login(commune.secretaire)
    assert client.get(f"/signing/batches/{batch.pk}/").status_code == 404


# --- Certificates -------------------------------------------------------------------------------


def test_a_signer_uploads_then_deletes_her_certificate(commune, client, pki):
    UserCertificate.objects.filter(user=commune.maire).delete()
    client.force_login(commune.maire)

    wrong = client.post(
        "/signing/certificates/",
        {"file": upload("moi.p12", pki.p12_bytes("marie-dupont")), "password": "x", "label": ""},
    )
    added = client.post(
        "/signing/certificates/",
        {
            "file": upload("moi.p12", pki.p12_bytes("marie-dupont")),
            "password": PASSWORD,
            "label": "Démo",
        },
        follow=True,
    )
    certificate = UserCertificate.objects.get(user=commune.maire)
    deleted = client.post(f"/signing/certificates/{certificate.pk}/delete/", follow=True)

    assert texts(wrong, ".errorlist li") == [
        "Wrong password for this certificate file: type it again. It is the password given with the certificate, not the one you log in with."
    ]
    assert messages(added) == ["Your certificate “Marie DUPONT” is ready to sign."]
    assert texts(added, "tbody td:first-child strong") == ["Démo"]
    assert messages(deleted) == ["The certificate was deleted."]
    assert UserCertificate.objects.filter(user=commune.maire).count() == 0


def test_the_certificates_page_costs_the_same_whatever_the_number(
    commune, client, django_assert_num_queries, pki
):
    from tests.signing.helpers import raw_certificate

    client.force_login(commune.maire)
    client.get("/signing/certificates/")  # warm the session
    with django_assert_num_queries(8):
        client.get("/signing/certificates/")
    raw_certificate(commune.maire, pki, "claire-petit")
    raw_certificate(commune.maire, pki, "jean-martin")
    with django_assert_num_queries(8):
        response = client.get("/signing/certificates/")
    assert len(texts(response, "tbody tr")) == 3


# --- Settings -------------------------------------------------------------------------------


def test_only_administrators_see_the_settings(commune, client):
    client.force_login(commune.maire)
    assert client.get("/signing/settings/").status_code == 404
    client.force_login(commune.admin)
    response = client.get("/signing/settings/")
    assert texts(response, "h1") == ["Signatures and trust"]
    assert texts(response, "#roots tbody td:first-child strong") == ["Délibre Démo"]


def test_an_administrator_changes_the_level_and_trusts_an_authority(commune, client, pki):
    client.force_login(commune.admin)
    data = {
        "tsa_url": pki.tsa_url,
        "default_level": "B-LTA",
        "revocation": "require",
        "fetch_timeout": 5,
        "lta_horizon_days": 200,
        "seal_backend": "none",
        "seal_pkcs12_path_env": "DELIBRE_SEAL_PKCS12",
        "seal_pkcs12_password_env": "DELIBRE_SEAL_PASSWORD",
        "seal_pkcs11_library_env": "DELIBRE_SEAL_PKCS11_LIBRARY",
        "seal_pkcs11_token_env": "DELIBRE_SEAL_PKCS11_TOKEN",
        "seal_pkcs11_key_env": "DELIBRE_SEAL_PKCS11_KEY",
        "seal_pkcs11_pin_env": "DELIBRE_SEAL_PKCS11_PIN",
        "seal_chain_env": "",
    }
    saved = client.post("/signing/settings/save/", data, follow=True)
    secret = client.post(
        "/signing/settings/save/", {**data, "seal_pkcs12_password_env": "demo"}, follow=True
    )
    root = client.post(
        "/signing/settings/roots/",
        {"file": upload("ca.pem", pki.cert_path("intermediate").read_bytes()), "label": ""},
        follow=True,
    )

    assert messages(saved) == ["The signing settings were saved."]
    assert texts(secret, "#settings .errorlist li") == [
        "Write the name of an environment variable starting with DELIBRE_SEAL_, in capitals, "
        "e.g. DELIBRE_SEAL_PASSWORD (not the secret itself)."
    ]
    assert messages(root) == ["The authority is now trusted."]
    assert sorted(TrustedRoot.objects.values_list("label", flat=True)) == [
        "Délibre Démo",
        "Délibre Démo Autorité de Signature",
    ]
    from signing.selectors import signing_settings_for

    assert (signing_settings_for(commune.collectivite).default_level) == "B-LTA"


def test_the_seal_test_button_shows_the_seal_certificate(commune, client, seal_env):
    client.force_login(commune.admin)
    response = client.post("/signing/settings/seal-check/")
    assert texts(response, "[role=status]") == ["The seal is loaded and its certificate may sign."]
    assert texts(response, "dl.facts dd")[0] == "Commune de Démo (cachet serveur)"


def test_a_signed_report_is_served_as_json_to_members_only(signed_act, client, commune):
    _act, version, _document = signed_act
    client.force_login(commune.clerk)
    response = client.get(f"/signing/versions/{version.pk}/report/")
    assert response.json() == latest_report(version).report


def test_the_signing_pages_speak_french(commune, client, french):
    act, first, _second, _document = adopted_deliberation(commune)
    client.force_login(commune.maire)

    page = client.get(f"/acts/{act.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    refused = client.post(
        f"/signing/steps/{first.pk}/sign/",
        {"certificate": commune.certificates["maire"].pk, "password": "mauvais"},
        HTTP_ACCEPT_LANGUAGE="fr",
        follow=True,
    )

    assert texts(page, "#signing h2") == ["Signatures électroniques"]
    assert texts(page, "#signing form button") == ["Signer l’acte"]
    assert texts(page, "#circuit a.button") == ["Signer dans le panneau de signature ci-dessous"]
    assert messages(refused) == [
        "Mot de passe incorrect pour ce fichier de certificat : saisissez-le à nouveau. C’est le "
        "mot de passe remis avec le certificat, pas celui de votre connexion."
    ]
