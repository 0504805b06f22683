"""Backup and restore of the database and the stored files: a round trip brings back the rows,
the files byte for byte and the journal; a damaged backup or a database holding data is
refused with nothing changed (docs/deployment.md)."""

from __future__ import annotations

import json
import shutil
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from core.backups import database_is_empty, make_backup, read_manifest, restore_backup
from core.files import read_bytes, store_bytes, stored_names
from deliberations.models import Act, Annex, Collectivite
from tests.factories import CollectiviteFactory, member
from workflow.journal import verify_journal
from workflow.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


def _arranged() -> tuple[Act, str]:
    from deliberations.enums import Role
    from deliberations.services import create_project

    collectivite = CollectiviteFactory()
    clerk = member(collectivite, Role.CLERK)
    act = create_project(
        collectivite=collectivite, actor=clerk, act_type="arrete", objet="Arrêté de voirie"
    )
    name = store_bytes(f"annexes/{act.pk}", b"%PDF-1.7 plan du carrefour", extension="pdf")
    Annex.objects.create(
        act=act,
        title="Plan",
        file=name,
        original_name="plan.pdf",
        sha256="0" * 64,
        size=26,
        page_count=1,
        uploaded_by=clerk,
    )
    return act, name


def _wipe(names: list[str]) -> None:
    call_command("flush", "--noinput", verbosity=0)
    for name in names:
        default_storage.delete(name)


def test_a_backup_restores_the_rows_the_files_and_the_journal(tmp_path):
    act, name = _arranged()
    events = AuditEvent.objects.count()
    verified = verify_journal(workers=1)  # the factory's collectivité has no creation event
    out = StringIO()

    call_command("backup", "--out", str(tmp_path / "backups"), stdout=out)

    [folder] = list((tmp_path / "backups").iterdir())
    manifest = read_manifest(folder)
    assert sorted(manifest["files"]) == [manifest["database"]["file"], f"files/{name}"]
    assert manifest["journal"]["events"] == events > 0
    assert out.getvalue().startswith(f"{folder}: ")
    _wipe([name])
    assert (Act.objects.count(), list(stored_names())) == (0, [])
    assert database_is_empty()

    call_command("restore", str(folder), stdout=out)

    restored = Act.objects.get()
    assert (restored.pk, restored.objet) == (act.pk, "Arrêté de voirie")
    assert Annex.objects.get().file.name == name
    assert read_bytes(name) == b"%PDF-1.7 plan du carrefour"
    assert AuditEvent.objects.count() == events
    after = verify_journal(workers=1)  # with the anchor the backup sealed
    assert (after.chains, after.events, after.problem, after.anchors) == (
        verified.chains,
        verified.events,
        verified.problem,
        verified.anchors + 1,
    )


def test_a_restore_over_a_database_holding_data_needs_force(tmp_path):
    act, name = _arranged()
    report = make_backup(out=tmp_path)
    Collectivite.objects.filter(pk=act.collectivite_id).update(name="Changed after the backup")

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(report.path))

    assert "already holds data" in str(refused.value)
    assert Collectivite.objects.get().name == "Changed after the backup"

    restore_backup(path=report.path, force=True)

    assert Collectivite.objects.get().name == act.collectivite.name
    assert read_bytes(name) == b"%PDF-1.7 plan du carrefour"


@pytest.mark.parametrize("damage", ["changed", "missing", "extra"])
def test_a_damaged_backup_is_refused_and_changes_nothing(tmp_path, damage):
    _act, name = _arranged()
    report = make_backup(out=tmp_path)
    copy = report.path / "files" / name
    if damage == "changed":
        copy.write_bytes(b"%PDF-1.7 plan du carrefour modifie")
    elif damage == "missing":
        copy.unlink()
    else:
        (report.path / "files" / "intrus.pdf").write_bytes(b"x")
    _wipe([name])

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(report.path))

    expected = {
        "changed": f"The backup is damaged: files/{name} does not match its SHA-256.",
        "missing": f"The backup is incomplete: files/{name} is missing.",
        "extra": "The backup holds a file its manifest does not list: files/intrus.pdf.",
    }[damage]
    assert str(refused.value) == expected
    assert (Act.objects.count(), list(stored_names())) == (0, [])


def test_a_backup_of_another_engine_is_refused(tmp_path):
    _arranged()
    report = make_backup(out=tmp_path)
    manifest = json.loads((report.path / "manifest.json").read_text())
    other = "sqlite" if manifest["database"]["vendor"] == "postgresql" else "postgresql"
    manifest["database"]["vendor"] = other
    (report.path / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(report.path), "--force")

    assert str(refused.value).startswith(f"This backup is of a {other} database")


def test_a_folder_that_is_not_a_backup_is_refused(tmp_path):
    shutil.rmtree(tmp_path, ignore_errors=True)
    tmp_path.mkdir()

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(tmp_path))

    assert str(refused.value) == f"{tmp_path} is not a Délibre backup (no readable manifest.json)."
