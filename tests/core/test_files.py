"""Orphan files: what a process killed between storing a file and committing its row leaves,
removed by purge_orphan_files once older than the grace period (docs/adr/0008)."""

from __future__ import annotations

import datetime as dt
import os
import time
from io import StringIO

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import call_command

from core.files import purge_orphan_files, store_bytes
from tests.factories import CollectiviteFactory, member

pytestmark = pytest.mark.django_db


def _age(name: str, hours: float) -> None:
    path = os.path.join(settings.MEDIA_ROOT, name)
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def _arranged():
    """A referenced annex, an old orphan, a recent orphan, an old file named by hand."""
    from deliberations.enums import Role
    from deliberations.models import Annex
    from deliberations.services import create_project

    collectivite = CollectiviteFactory()
    clerk = member(collectivite, Role.CLERK)
    act = create_project(collectivite=collectivite, actor=clerk, act_type="arrete", objet="Voirie")
    kept = store_bytes("annexes/1", b"%PDF-1.7 kept", extension="pdf")
    Annex.objects.create(
        act=act,
        title="Plan",
        file=kept,
        original_name="plan.pdf",
        sha256="0" * 64,
        size=13,
        page_count=1,
        uploaded_by=clerk,
    )
    orphan = store_bytes("signatures/1/2", b"%PDF-1.7 half writ", extension="pdf")
    recent = store_bytes("documents/1/act", b"%PDF-1.7 just now", extension="pdf")
    by_hand = default_storage.save("logos/logo.png", _content(b"png"))
    for name in (kept, orphan, by_hand):
        _age(name, 30)
    return kept, orphan, recent, by_hand


def _content(data: bytes):
    from django.core.files.base import ContentFile

    return ContentFile(data)


def test_purge_removes_only_old_unreferenced_files_it_named():
    kept, orphan, recent, by_hand = _arranged()

    report = purge_orphan_files(grace=dt.timedelta(hours=24))

    assert report.removed == [orphan]
    assert (report.scanned, report.candidates, report.kept_recent) == (4, 2, 1)
    assert [default_storage.exists(n) for n in (kept, orphan, recent, by_hand)] == [
        True,
        False,
        True,
        True,
    ]


def test_purge_without_grace_takes_recent_orphans_too_and_dry_run_removes_nothing():
    kept, orphan, recent, by_hand = _arranged()

    dry = purge_orphan_files(grace=dt.timedelta(0), dry_run=True)
    assert sorted(dry.removed) == sorted([orphan, recent])
    assert [default_storage.exists(n) for n in (orphan, recent)] == [True, True]

    purge_orphan_files(grace=dt.timedelta(0))
    assert [default_storage.exists(n) for n in (kept, orphan, recent, by_hand)] == [
        True,
        False,
        False,
        True,
    ]


def test_purge_command_reports_what_it_removed():
    _kept, orphan, _recent, _by_hand = _arranged()
    out = StringIO()

    call_command("purge_orphan_files", stdout=out)

    assert out.getvalue().splitlines() == [
        orphan,
        "4 files scanned, 2 old enough to check, removed 1 orphan files.",
    ]


def test_purge_on_an_empty_storage_does_nothing():
    report = purge_orphan_files(grace=dt.timedelta(hours=1))
    assert (report.scanned, report.removed) == (0, [])
