"""The PES commands: import_pes, export_pes, import_pes_acquit, watch_pes_folder."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from exports.pes import services as pes
from exports.pes.demo import make_acquit
from exports.pes.models import PesFlow


def _call(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_pes_imports_a_file(commune, finance, pes_bytes, tmp_path):
    path = tmp_path / "flux.xml"
    path.write_bytes(pes_bytes)

    output = _call("import_pes", str(path), "--collectivite", commune.slug, "--user", "finance")

    flow = PesFlow.objects.get()
    assert output == (f"Flow {flow.pk} imported: 3 bordereau(x), 7 pièce(s), status imported.\n")


def test_import_pes_lists_the_problems_and_creates_nothing(commune, finance, pes_bytes, tmp_path):
    path = tmp_path / "broken.xml"
    path.write_bytes(pes_bytes.replace(b'<NbrPce V="1"/>', b'<NbrPce V="X"/>'))

    with pytest.raises(CommandError) as caught:
        _call("import_pes", str(path), "--collectivite", commune.slug, "--user", "finance")

    lines = str(caught.value).splitlines()
    assert lines[0] == "The PES file has 1 error(s)."
    assert lines[1].startswith("  [XSD] line 23 /PES_Aller/PES_RecetteAller/Bordereau/")
    assert PesFlow.objects.count() == 0


def test_export_pes_writes_the_signed_flow(signed_flow, tmp_path):
    target = tmp_path / "out.xml"

    call_command("export_pes", str(signed_flow.pk), "-o", str(target), stderr=io.StringIO())

    with default_storage.open(signed_flow.current_file.name, "rb") as handle:
        assert target.read_bytes() == handle.read()
    with pytest.raises(CommandError):
        call_command("export_pes", "999999")


def test_import_pes_acquit_shows_the_outcome_per_bordereau(
    signed_flow, finance, commune, drop_dir, tmp_path
):
    transmission = pes.send_flow(flow=signed_flow, actor=finance)
    pes.deliver_transmission(transmission_id=transmission.pk)
    signed_flow.refresh_from_db()
    path = tmp_path / "ack.xml"
    path.write_bytes(make_acquit(signed_flow, rejected=(("recette", 5),)))

    output = _call(
        "import_pes_acquit", str(path), "--collectivite", commune.slug, "--user", "finance"
    )

    assert output.splitlines() == [
        f"Acknowledgement imported for flow {signed_flow.pk}: partly_accepted.",
        "  depense 2025/10: acknowledged",
        "  depense 2025/11: acknowledged",
        "  recette 2025/5: rejected (1 anomalies)",
    ]


def test_watch_pes_folder_imports_once(commune, finance, pes_bytes, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "flux.xml").write_bytes(pes_bytes)
    args = ("watch_pes_folder", "--collectivite", commune.slug, "--user", "finance")

    first = _call(*args, "--dir", str(inbox), "--min-age", "0")
    second = _call(*args, "--dir", str(inbox), "--min-age", "0")

    assert (first, second) == ("imported: flux.xml\n", "")
    assert PesFlow.objects.count() == 1
