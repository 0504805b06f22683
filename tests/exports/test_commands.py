"""Commands: render_document (renders and waits) and rerender (exit status 0 when identical)."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from core.files import read_bytes
from exports.models import RenderedDocument

from .conftest import DOCUMENTS

pytestmark = DOCUMENTS


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_render_document_then_rerender_is_identical(played, admin):
    act = played.acts[0]

    out, _err = run("render_document", "act", str(act.pk), "--kind", "act")

    document = RenderedDocument.objects.get()
    assert out == (
        f"{document.pk} act v1 ready pages={document.page_count} sha256={document.content_sha256}\n"
    )
    out, _err = run("rerender", str(document.pk))
    assert out == (
        f"stored      {document.content_sha256}\nre-rendered {document.content_sha256}\nidentical\n"
    )


def test_rerender_exits_1_when_the_stored_file_differs(played, admin):
    run("render_document", "act", str(played.acts[1].pk), "--user", "admin")
    document = RenderedDocument.objects.get()
    content = read_bytes(document.file.name)
    default_storage.delete(document.file.name)
    default_storage.save(document.file.name, ContentFile(content + b"\n"))

    with pytest.raises(CommandError) as refused:
        run("rerender", str(document.pk))

    assert refused.value.returncode == 1


def test_render_document_refusals(played, clerk):
    with pytest.raises(CommandError) as unknown:
        run("render_document", "seance", "999999")
    with pytest.raises(CommandError) as wrong_kind:
        run("render_document", "act", str(played.acts[0].pk), "--kind", "minutes")
    with pytest.raises(CommandError) as missing:
        run("rerender", "999999")

    assert str(unknown.value) == "No seance with id 999999."
    assert str(wrong_kind.value) == "These kinds of document do not apply to this act."
    assert (str(missing.value), missing.value.returncode) == ("No document with id 999999.", 2)
    assert RenderedDocument.objects.count() == 0
