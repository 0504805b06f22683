"""A large PES import through a real Redis broker and a real Celery worker: the page and the
API read the progress the worker publishes in the shared cache, then the flow it made."""

from __future__ import annotations

import pytest

from exports.pes import build_pes_aller
from exports.pes import services as pes
from exports.pes.models import PesFlow, PesImport
from tests.exports.pes.fixtures import commune, finance
from tests.exports.pes.flows import make_flow
from tests.integration.conftest import wait_for

__all__ = ["commune", "finance"]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def test_a_large_pes_import_shows_the_progress_the_worker_publishes(
    commune, finance, workers, redis_url, settings
):
    # The web side and the worker share the cache (DELIBRE_CACHE_URL), as in production.
    cache_url = redis_url
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": cache_url}
    }
    worker = workers.start(queues="default", env={"DELIBRE_CACHE_URL": cache_url})
    content = build_pes_aller(
        flow=make_flow(depense=4, pieces=5_000, recette=False), validate=False
    )

    job = pes.start_import(
        collectivite=commune, actor=finance, source=content, name="PESALR2_gros.xml"
    )
    seen = []

    def finished() -> bool:
        current = PesImport.objects.get(pk=job.pk)
        figure = pes.import_progress(current)
        if figure is not None:
            seen.append((current.status, figure.done))
        return current.is_finished

    wait_for(finished, timeout=300, what="the worker to import the flow", worker=worker)

    job.refresh_from_db()
    flow = PesFlow.objects.get()
    assert (job.status, job.flow_id, job.error, flow.piece_count) == ("done", flow.pk, "", 20_000)
    moving = [done for status, done in seen if status == "running" and 0 < done < len(content)]
    assert moving, f"no intermediate figure among {seen[:5]}…{seen[-5:]}"
    assert seen[-1] == ("done", len(content))
    print(f"\n{len(moving)} intermediate progress figures seen while the worker imported")
