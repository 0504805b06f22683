"""Disk full while a file is written, and the database connection lost in the middle of a
request: the user gets a clear 503 (page or JSON), no row and no journal event are left, and no
file stays behind (what a failed write left of a file is deleted at once).

Other faults are tested where their code lives: TSA and revocation sources down
(tests/signing/test_services.py ``test_an_unreachable_tsa_stops_the_signature``,
``test_an_unreachable_revocation_service_stops_the_signature``, tests/signing/test_pades.py,
tests/signing/test_keys.py), the S2LOW stand-in down, slow or failing after the act may have
left (tests/exports/actes/test_s2low.py, tests/exports/actes/test_tasks.py), a worker killed
during a task (H-scale: tests/exports/actes/test_interrupted.py, tests/integration/).
"""

from __future__ import annotations

import errno
from contextlib import contextmanager

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection

from tests import pdfs
from tests.badinput.conftest import (  # noqa: F401 - fixtures
    as_clerk,
    clerk,
    collectivite,
    draft,
    snapshot,
    stored_files,
)

STORAGE_FULL = (
    "The server has no room left to store files: nothing was saved. Warn your administrator, "
    "then try again."
)
DATABASE_LOST = (
    "The database could not be reached: nothing was saved. Try again in a few minutes; if it "
    "lasts, warn your administrator."
)


class FullDisk(FileSystemStorage):
    """The real file-system storage on a disk that fills up after ``room`` bytes of a file."""

    room = 100

    def _save(self, name, content):  # type: ignore[no-untyped-def]
        data = content.read()
        path = self.path(name)
        import os

        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:  # what the OS leaves when write() fails half-way
            handle.write(data[: self.room])
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def full_disk(monkeypatch, settings):
    from django.core.files.storage import default_storage

    storage = FullDisk(location=settings.MEDIA_ROOT)
    monkeypatch.setattr(default_storage, "_wrapped", storage)
    return storage


def _upload(client, act, *, api: bool):
    file = SimpleUploadedFile("plan.pdf", pdfs.blank_pdf(), "application/pdf")
    if api:
        return client.post(f"/api/acts/{act.pk}/annexes/", {"file": file, "title": "Plan"})
    return client.post(f"/acts/{act.pk}/annexes/", {"file": file, "title": "Plan"})


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_disk_full_answers_503_and_leaves_nothing(as_clerk, draft, full_disk, api):  # noqa: F811
    rows_before, files_before = snapshot()
    response = _upload(as_clerk, draft, api=api)
    assert response.status_code == 503
    if api:
        assert response.json() == {"detail": STORAGE_FULL, "code": "storage_full"}
    else:
        assert STORAGE_FULL in response.content.decode()
        assert response["Content-Security-Policy"].startswith("default-src 'self'")
    rows_after, files_after = snapshot()
    assert rows_after == rows_before
    assert files_after == files_before  # the 100 bytes written before the disk filled are gone


@contextmanager
def connection_lost_on(table: str):
    """Fail the first statement writing to ``table`` as a dropped connection does."""

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if sql.lstrip().upper().startswith("INSERT") and f'"{table}"' in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_database_lost_mid_request_answers_503_and_leaves_nothing(as_clerk, draft, api):  # noqa: F811
    rows_before, files_before = snapshot()
    with connection_lost_on("deliberations_annex"):
        response = _upload(as_clerk, draft, api=api)
    assert response.status_code == 503
    if api:
        assert response.json() == {"detail": DATABASE_LOST, "code": "database_unavailable"}
    else:
        assert DATABASE_LOST in response.content.decode()
    # The file stored before the INSERT was removed by removed_on_error.
    assert snapshot() == (rows_before, files_before)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_terminated_postgres_backend_is_a_clean_503(client, settings):
    """pg_terminate_backend from a second connection while the request writes its annex."""
    import psycopg
    from django.db import connections

    from deliberations import services
    from deliberations.enums import ActType, Role
    from deliberations.models import Annex
    from tests.factories import CollectiviteFactory, member

    town = CollectiviteFactory()
    clerk_user = member(town, Role.CLERK, username="clerk")
    act = services.create_project(
        collectivite=town, actor=clerk_user, act_type=ActType.DELIBERATION, objet="Objet"
    )
    client.force_login(clerk_user)
    params = connection.get_connection_params()
    dsn = {k: v for k, v in params.items() if k in ("host", "port", "user", "password", "dbname")}
    killed = []

    def killer(execute, sql, params_, many, context):  # type: ignore[no-untyped-def]
        if sql.lstrip().upper().startswith("INSERT") and '"deliberations_annex"' in sql:
            pid = connection.connection.info.backend_pid
            with psycopg.connect(**dsn, autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", [pid])
            killed.append(pid)
        return execute(sql, params_, many, context)

    with connection.execute_wrapper(killer):
        response = _upload(client, act, api=True)
    connections.close_all()
    assert killed
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert Annex.objects.filter(act=act).count() == 0
