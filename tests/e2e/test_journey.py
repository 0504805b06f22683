"""The whole life of a deliberation, in a real browser, by the people who make it.

A clerk drafts a deliberation with an annex; the validator rejects it with a reason; the clerk
fixes it and sends it again; the validator and the adjointe give their visa; the séance is
planned and convened, the attendance is recorded with a proxy, the vote is recorded per member
and numbers the act; the maire and the secrétaire de séance sign it (the secrétaire first uploads
their PKCS#12); it is transmitted to the stand-in S2LOW and acknowledged; it is published; a
citizen finds it on the public portal, downloads it and verifies it on /verify/.

Each step is a function; a screenshot follows each one (tests/e2e/artefacts/, see conftest).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import tarfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.pdfs import blank_pdf

from .accessibility import check_form

REJECTION = "Le montant n'est pas chiffré : précisez l'incidence budgétaire en annexe."


def flash(page: Page, text: str) -> None:
    """The message the page shows after an action (Django messages)."""
    expect(page.get_by_text(text, exact=True).first).to_be_visible()


def status_badge(page: Page, label: str) -> None:
    expect(page.locator(".page-head .badge").first).to_have_text(label)


# --- preparation ---------------------------------------------------------------------------


def login_form_is_accessible(page: Page) -> None:
    page.goto("/login/")
    labels = check_form(page, page.locator("main form"), submit="Log in")
    assert labels == ["Username *", "Password *"], labels


def draft_deliberation(page: Page, objet: str) -> str:
    """The clerk writes a new deliberation through the project form; returns its URL."""
    page.goto("/")
    page.get_by_role("link", name="New project", exact=True).first.click()
    expect(page.get_by_role("heading", name="New project")).to_be_visible()
    form = page.locator("main form").filter(has=page.get_by_label("Objet"))
    assert "Objet" in " ".join(check_form(page, form, submit="Save"))
    page.get_by_label("Type").select_option(label="Deliberation")
    page.get_by_label("Objet").fill(objet)
    page.get_by_label("Classification (matière)").select_option(
        label="3.5.9 dénomination d'équipements"
    )
    page.get_by_label("Assembly").select_option(label="Conseil municipal")
    page.get_by_label("Rapporteur").select_option(index=3)
    page.get_by_label("Explanatory statement").fill(
        "Le stade municipal rénové doit recevoir un nom. Il est proposé d'honorer une "
        "athlète de la commune."
    )
    page.get_by_label("Visas").fill("Vu le code général des collectivités territoriales ;")
    page.get_by_label("Articles").fill("Le stade municipal est dénommé « Stade Alice Milliat ».")
    page.get_by_role("button", name="Save").click()
    flash(page, "The project was created.")
    status_badge(page, "Draft")
    return page.url


def attach_annex(page: Page, pdf: Path) -> None:
    """The clerk attaches a PDF annex (checked by the server before it is accepted)."""
    annexes = page.locator("#annexes")
    annexes.get_by_label("PDF file").set_input_files(str(pdf))
    annexes.get_by_label("Title").fill("Plan du stade")
    annexes.get_by_role("button", name="Attach the PDF").click()
    flash(page, "The annex was attached.")
    expect(page.locator("#annexes").get_by_role("link", name="Plan du stade")).to_be_visible()


def send_to_circuit(page: Page) -> None:
    page.get_by_role("button", name="Send to circuit").click()
    flash(page, "The folder was sent into its circuit.")
    status_badge(page, "In approval circuit")


def reject_with_reason(page: Page, url: str, reason: str) -> None:
    """The validator (Direction générale desk) returns the project to its drafter."""
    page.goto(url)
    decision = page.locator("#circuit .decision-panel")
    check_form(page, decision.locator("form").first, submit="Give my visa")
    page.get_by_text("Reject and return to the drafter").click()
    check_form(page, decision.locator("details form").first, submit="Reject")
    page.get_by_label("Reason of the rejection").fill(reason)
    page.get_by_role("button", name="Reject", exact=True).click()
    flash(page, "The folder was rejected and returned.")
    status_badge(page, "Returned to the drafter")


def fix_and_resubmit(page: Page, url: str) -> None:
    """The clerk reads the reason, completes the project and sends it again."""
    page.goto(url)
    status_badge(page, "Returned to the drafter")
    circuit = page.locator("#circuit")
    circuit.locator("summary").filter(has_text="Returned to the drafter").first.click()
    expect(circuit.get_by_text(REJECTION).first).to_be_visible()
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Budget impact (€)").fill("12000")
    page.get_by_label("Budget year").fill(str(dt.date.today().year))
    page.get_by_label("Explanatory statement").fill(
        "Le stade municipal rénové doit recevoir un nom. Il est proposé d'honorer une "
        "athlète de la commune. La signalétique coûte 12 000 € (plan en annexe)."
    )
    page.get_by_role("button", name="Save").click()
    flash(page, "The project was saved.")
    send_to_circuit(page)


def give_visa(page: Page, url: str, comment: str = "") -> None:
    page.goto(url)
    if comment:
        page.locator("#circuit").get_by_label("Comment (optional)").fill(comment)
    page.get_by_role("button", name="Give my visa").click()
    flash(page, "Your approval was recorded.")


# --- the séance ----------------------------------------------------------------------------


def plan_and_convene(page: Page, act_url: str, objet: str, when: dt.datetime) -> str:
    """The clerk plans a séance, puts the project on its agenda and records the convocation."""
    page.goto("/")
    page.get_by_role("link", name="Plan a séance").first.click()
    page.get_by_label("Assembly").select_option(label="Conseil municipal")
    page.get_by_label("Date and time").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Place").fill("Salle du conseil municipal, Hôtel de ville")
    page.get_by_label("President").select_option(label="Marie DUPONT (Mayor)")
    page.get_by_label("Sitting secretary").select_option(label="Jean MARTIN (Councillor)")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".page-head .badge").first).to_have_text("Planned")
    seance_url = page.url
    act_pk = re.search(r"/acts/(\d+)/", act_url).group(1)
    project = page.get_by_label("Project")
    expect(project.locator(f'option[value="{act_pk}"]')).to_contain_text(objet[:40])
    project.select_option(act_pk)
    page.get_by_role("button", name="Add to the agenda").click()
    expect(page.locator(".agenda").get_by_role("link", name=objet)).to_be_visible()
    page.get_by_label("Convocation sent on").fill((when.date() - dt.timedelta(days=8)).isoformat())
    page.get_by_role("button", name="Record the convocation").click()
    expect(page.locator(".page-head .badge").first).to_have_text("Convened")
    expect(page.get_by_text("Convocation delay respected", exact=False)).to_be_visible()
    return seance_url


def record_attendance(page: Page, seance_url: str) -> None:
    """Everybody present except one member excused and one giving a proxy to the maire."""
    page.goto(seance_url)
    page.get_by_role("link", name=re.compile(r"^Attendance")).click()
    page.get_by_label("Status of Anne CARON").select_option(label="Represented (proxy given)")
    page.get_by_label("Proxy holder for Anne CARON").select_option(label="Marie DUPONT")
    page.get_by_label("Status of Michel DUVAL").select_option(label="Excused")
    page.get_by_role("button", name="Save the attendance").click()
    expect(page.get_by_role("link", name=re.compile(r"^Attendance"))).to_be_visible()


def open_and_vote(page: Page, seance_url: str, objet: str) -> str:
    """The séance is opened; the vote is recorded per member; the act gets its number."""
    page.goto(seance_url)
    page.get_by_role("button", name="Open the séance").click()
    expect(page.locator(".page-head .badge").first).to_have_text("In progress")
    page.locator(".agenda-item").filter(has_text=objet).get_by_role("link", name="Vote").click()
    # 27 present (29 in office, one excused, one represented): the proxy does not count.
    expect(page.locator(".alert").filter(has_text="Quorum reached.")).to_contain_text(
        "27 present, 1 represented, 29 in office (15 needed)."
    )
    vote_form = page.locator("main form").filter(has=page.get_by_label("How the vote is recorded"))
    labels = check_form(page, vote_form, submit="Record the vote")
    assert "Vote of Anne CARON" in labels
    page.get_by_label("How the vote is recorded").select_option(label="Per member")
    page.get_by_label("Members not listed below vote").select_option(label="For")
    page.get_by_label("Vote of Anne CARON").select_option(label="Against")
    page.get_by_label("Vote of Céline NICOLAS").select_option(label="Abstention")
    page.get_by_role("button", name="Record the vote").click()
    flash(page, "The vote was recorded.")
    vote = page.locator("section.card").filter(has=page.get_by_role("heading", name="Vote"))
    expect(vote.locator("p strong").first).to_have_text("Adopted")
    for term, value in (("For", "26"), ("Against", "1"), ("Abstentions", "1")):
        expect(vote.locator(f"dt:text-is('{term}') + dd")).to_have_text(value)
    # The proxy holder voted for the member she represents.
    proxy = page.get_by_role("row").filter(has_text="Anne CARON")
    expect(proxy).to_contain_text("Represented (proxy given) → Marie DUPONT")
    expect(proxy.get_by_role("cell").last).to_have_text("Against")
    number = page.locator(".page-head strong").first.inner_text()
    assert re.fullmatch(r"DEL\d{4}_\d{4}", number), number
    return number


def close_seance(page: Page, seance_url: str) -> None:
    page.goto(seance_url)
    page.get_by_role("button", name="Close the séance").click()
    expect(page.locator(".page-head .badge").first).to_have_text("Closed")


# --- signatures ----------------------------------------------------------------------------


def send_for_signatures(page: Page, url: str) -> None:
    """The clerk renders the act's document and starts the signature circuit."""
    page.goto(url)
    documents = page.locator("#act-documents")
    documents.get_by_role("row").filter(has_text="Act").get_by_role(
        "button", name=re.compile("Render|Refresh")
    ).click()
    expect(
        page.locator("#act-documents")
        .get_by_role("row")
        .filter(has_text="Act")
        .get_by_text("Ready")
    ).to_be_visible()
    page.get_by_role("button", name="Send for signatures").click()
    expect(page.locator("#circuit").get_by_text("Signature du Maire").first).to_be_visible()


def upload_certificate(page: Page, p12: Path, password: str) -> None:
    """The secrétaire replaces the certificate in their list by uploading the PKCS#12 file."""
    page.goto("/signing/certificates/")
    page.on("dialog", lambda dialog: dialog.accept())  # "Delete this certificate?"
    while page.get_by_role("button", name="Delete").count():
        page.get_by_role("button", name="Delete").first.click()
        page.wait_for_load_state()
    page.get_by_label("Certificate file (.p12 or .pfx)").set_input_files(str(p12))
    page.get_by_label("Password of your certificate").fill(password)
    page.get_by_label("Label (optional)").fill("Certificat de secrétaire de séance")
    page.get_by_role("button", name="Add the certificate").click()
    expect(page.get_by_text("Certificat de secrétaire de séance").first).to_be_visible()


def sign(page: Page, url: str, password: str) -> None:
    page.goto(url)
    signing = page.locator("#signing")
    signing.get_by_label("Password of your certificate").fill(password)
    signing.get_by_role("button", name="Sign the act").click()
    expect(page.locator("#signing").get_by_text("Every signature is valid.")).to_be_visible()


# --- prefecture, publication, citizen ------------------------------------------------------


def transmit(page: Page, url: str, annex: bytes) -> None:
    """The clerk builds the @ctes archive (it carries the annex), then sends it to S2LOW."""
    page.goto(url)
    prefecture = page.locator("#prefecture")
    prefecture.get_by_role("button", name="Prepare the transmission").click()
    flash(page, "The archive was built and checked. Check it, then send it to the prefecture.")
    archive = page.locator("#prefecture").get_by_role("link", name="Download the archive")
    response = page.request.get(archive.get_attribute("href"))
    assert response.status == 200
    with tarfile.open(fileobj=io.BytesIO(response.body()), mode="r:gz") as tar:
        contents = [tar.extractfile(member).read() for member in tar.getmembers()]
    assert contents.count(annex) == 1, [len(content) for content in contents]
    page.locator("#prefecture").get_by_role("button", name="Send to the prefecture").click()
    flash(page, "The transmission is on its way to the prefecture.")
    # The act itself stays "Signed" until the prefecture's acknowledgement arrives.
    expect(
        page.locator("#prefecture").get_by_text("Sent, waiting for the prefecture").first
    ).to_be_visible()


def acknowledged(page: Page, url: str, number: str, app) -> None:
    """The periodic poll (Celery beat in production) reads the acknowledgement from S2LOW."""
    for _attempt in range(10):
        app.manage("poll_tdt")
        page.goto(url)
        if page.locator("#prefecture").get_by_text("Received by the prefecture").count():
            break
        time.sleep(0.5)
    status_badge(page, "Acknowledged by the prefecture")
    identifier = page.locator("#prefecture").locator("dt:text-is('Act identifier') + dd")
    expect(identifier).to_have_text(re.compile(rf"^\d{{3}}-\d{{9}}-\d{{8}}-{number}-DE$"))


def publish(page: Page, url: str) -> str:
    page.goto(url)
    page.locator("#publication").get_by_role("button", name="Publish on the portal").click()
    status_badge(page, "Published")
    return (
        page.locator("#publication")
        .get_by_role("link", name="See it on the public portal")
        .get_attribute("href")
    )


def citizen_finds(page: Page, slug: str, number: str, objet: str, downloads: Path) -> Path:
    """An anonymous visitor finds the act on the portal, reads the vote and downloads the PDF
    whose fingerprint the page shows."""
    page.goto(f"/actes/{slug}/")
    page.get_by_role("searchbox", name="Search").fill(number)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=objet).click()
    expect(page.get_by_role("heading", name=objet)).to_be_visible()
    expect(page.get_by_text(f"Deliberation n° {number}")).to_be_visible()
    facts = page.locator("main")
    for term, value in (
        ("Members present", "27"),
        ("Members represented (proxies)", "1"),
        ("For", "26"),
        ("Against", "1"),
        ("Abstentions", "1"),
    ):
        expect(facts.locator(f"dt:text-is('{term}') + dd")).to_have_text(value)
    expect(page.get_by_text("This act is enforceable since")).to_be_visible()
    link = page.get_by_role("link", name=re.compile(r"^Read the act \(PDF"))
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    content = response.body()
    path = downloads / f"{number}.pdf"
    path.write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    expect(page.get_by_text(digest)).to_be_visible()
    return path


def citizen_verifies(page: Page, pdf: Path, number: str) -> None:
    """The visitor uploads the downloaded PDF on /verify/: both signatures are valid, trusted,
    and the file is recognised as the act this instance signed."""
    page.goto("/verify/")
    page.get_by_label("Signed file (PDF, or PES XML flow)").set_input_files(str(pdf))
    page.get_by_role("button", name="Verify").click()
    result = page.locator("#result")
    expect(result.get_by_role("status").first).to_have_text(
        "Every signature of this document is valid, and the document was not modified after "
        "signing."
    )
    expect(result.get_by_text("This exact file was signed by this instance")).to_contain_text(
        f"Act {number}"
    )
    rows = result.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Marie DUPONT")
    expect(rows.nth(1)).to_contain_text("Jean MARTIN")
    for index in range(2):
        expect(rows.nth(index).locator("td").last).to_have_text("valid")


def test_deliberation_journey(app, new_page, login, shot, artefacts, tmp_path):
    objet = f"Dénomination du stade municipal « Stade Alice Milliat » ({int(time.time()) % 100000})"
    annex = tmp_path / "plan-du-stade.pdf"
    annex.write_bytes(blank_pdf(2))
    clerk, validator, adjointe = new_page(), new_page(), new_page()
    maire, secretaire, citizen = new_page(), new_page(), new_page()
    login_form_is_accessible(citizen)
    shot(citizen, "login-form-keyboard")
    for page, username in (
        (clerk, "redacteur"),
        (validator, "valideur"),
        (adjointe, "adjointe"),
        (maire, "maire"),
        (secretaire, "secretaire"),
    ):
        login(page, username)

    url = draft_deliberation(clerk, objet)
    shot(clerk, "clerk-drafts")
    attach_annex(clerk, annex)
    send_to_circuit(clerk)
    shot(clerk, "clerk-attaches-annex-and-sends")

    reject_with_reason(validator, url, REJECTION)
    shot(validator, "validator-rejects")

    fix_and_resubmit(clerk, url)
    shot(clerk, "clerk-fixes-and-resubmits")

    give_visa(validator, url, "Visa favorable.")
    give_visa(adjointe, url)
    status_badge(adjointe, "Validated")
    shot(adjointe, "validator-and-adjointe-approve")

    # Today (in the app's time zone) at 00:30: a decision dated in the future is refused by
    # the prefecture, and the séance must be today to be held now.
    when = dt.datetime.now(ZoneInfo("Europe/Paris")).replace(hour=0, minute=30, second=0)
    seance_url = plan_and_convene(clerk, url, objet, when)
    shot(clerk, "seance-convened")
    record_attendance(clerk, seance_url)
    shot(clerk, "attendance-with-proxy")
    number = open_and_vote(clerk, seance_url, objet)
    shot(clerk, "vote-recorded-and-numbered")
    close_seance(clerk, seance_url)

    send_for_signatures(clerk, url)
    shot(clerk, "sent-for-signatures")
    sign(maire, url, app.p12_password)
    shot(maire, "maire-signs")
    upload_certificate(secretaire, app.p12("secretaire"), app.p12_password)
    shot(secretaire, "secretaire-uploads-certificate")
    sign(secretaire, url, app.p12_password)
    status_badge(secretaire, "Signed")
    shot(secretaire, "secretaire-signs")

    transmit(clerk, url, annex.read_bytes())
    shot(clerk, "transmitted")
    acknowledged(clerk, url, number, app)
    shot(clerk, "acknowledged")
    publish(clerk, url)
    shot(clerk, "published")

    pdf = citizen_finds(citizen, app.slug, number, objet, tmp_path)
    shot(citizen, "citizen-finds-act")
    citizen_verifies(citizen, pdf, number)
    shot(citizen, "citizen-verifies")
