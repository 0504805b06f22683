"""Pages for séances: list, planning, agenda, convocation, roll call, items and votes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.views import perform, visible_or_404

from .. import services
from ..enums import AgendaItemStatus, AttendanceStatus, BallotChoice, Role, SeanceStatus
from ..forms import (
    AddToAgendaForm,
    ConveneForm,
    MovementForm,
    PostponeForm,
    ReasonForm,
    SeanceForm,
    VoteForm,
)
from ..models import AgendaItem, Seance
from ..permissions import has_role
from ..selectors import agenda, convocation_check, item_count, members_in_office, seance_day
from ._common import current_collectivite_or_404


@login_required
def seance_list(request: HttpRequest) -> HttpResponse:
    collectivite = current_collectivite_or_404(request)
    seances = (
        Seance.objects.filter(collectivite=collectivite)
        .select_related("assembly")
        .order_by("-date")
    )
    status = request.GET.get("status", "")
    if status in SeanceStatus.values:
        seances = seances.filter(status=status)
    page = Paginator(seances, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "deliberations/seance_list.html",
        {
            "page": page,
            "status": status,
            "statuses": SeanceStatus.choices,
            "can_create": has_role(request.user, collectivite, Role.CLERK, Role.ADMIN),
        },
    )


@login_required
def seance_create(request: HttpRequest) -> HttpResponse:
    collectivite = current_collectivite_or_404(request)
    form = SeanceForm(request.POST or None, collectivite=collectivite)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("revision")
        seance, _response = perform(
            request,
            lambda: services.create_seance(collectivite=collectivite, actor=request.user, **data),
            success=_("The séance was planned."),
            redirect_to="",
            form=form,
        )
        if seance is not None:
            return redirect("seance-detail", pk=seance.pk)
    return render(request, "deliberations/seance_form.html", {"form": form, "seance": None})


@login_required
def seance_edit(request: HttpRequest, pk: int) -> HttpResponse:
    seance = visible_or_404(Seance.objects.all(), request, pk=pk)
    initial = {
        "assembly": seance.assembly_id,
        "date": timezone.localtime(seance.date),
        "place": seance.place,
        "president": seance.president_id,
        "secretary": seance.secretary_id,
        "urgency": seance.urgency,
        "revision": seance.revision,
    }
    form = SeanceForm(request.POST or None, collectivite=seance.collectivite, initial=initial)
    form.fields["assembly"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {
            k: form.cleaned_data[k] for k in ("date", "place", "president", "secretary", "urgency")
        }
        revision = form.cleaned_data["revision"] or seance.revision
        saved, _response = perform(
            request,
            lambda: services.update_seance(
                seance=seance, actor=request.user, revision=revision, **data
            ),
            success=_("The séance was saved."),
            redirect_to="",
            form=form,
        )
        if saved is not None:
            return redirect("seance-detail", pk=seance.pk)
    return render(request, "deliberations/seance_form.html", {"form": form, "seance": seance})


@login_required
def seance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    seance = visible_or_404(
        Seance.objects.select_related(
            "assembly", "collectivite", "president__official", "secretary__official"
        ),
        request,
        pk=pk,
    )
    items = list(agenda(seance))
    counts = {
        item.pk: item_count(item)
        for item in items
        if seance.status == SeanceStatus.OPEN and item.status == AgendaItemStatus.PLANNED
    }
    return render(
        request,
        "deliberations/seance_detail.html",
        {
            "seance": seance,
            "items": [(item, counts.get(item.pk)) for item in items],
            "convocation": convocation_check(seance),
            "can_manage": has_role(request.user, seance.collectivite, Role.CLERK, Role.ADMIN),
            "add_form": AddToAgendaForm(seance=seance),
            "convene_form": ConveneForm(initial={"convocation_date": timezone.localdate()}),
            "members_count": members_in_office(seance.assembly, seance_day(seance)).count(),
            "roll_call_count": seance.roll_call.count(),
        },
    )


@login_required
@require_POST
def seance_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    seance = visible_or_404(Seance.objects.all(), request, pk=pk)
    target = reverse("seance-detail", args=[seance.pk])
    user = request.user
    if name == "agenda":
        form = AddToAgendaForm(request.POST, seance=seance)
        if not form.is_valid():
            messages.error(request, _("Choose a validated project to put on the agenda."))
            return redirect(target)
        call, success = (
            lambda: services.add_to_agenda(
                seance=seance,
                actor=user,
                act=form.cleaned_data["act"],
                position=form.cleaned_data["position"],
            ),
            _("The project was put on the agenda."),
        )
    elif name == "convene":
        form = ConveneForm(request.POST)
        sent = form.cleaned_data["convocation_date"] if form.is_valid() else None
        call, success = (
            lambda: services.convene(seance=seance, actor=user, convocation_date=sent),
            _("The séance is convened."),
        )
    elif name == "open":
        call, success = (
            lambda: services.open_seance(seance=seance, actor=user),
            _("The séance is open."),
        )
    elif name == "close":
        call, success = (
            lambda: services.close_seance(seance=seance, actor=user),
            _("The séance is closed."),
        )
    elif name in ("up", "down"):
        ids = list(seance.items.order_by("position").values_list("pk", flat=True))
        try:
            moved = int(request.POST.get("item", ""))
            index = ids.index(moved)
        except ValueError as exc:
            raise Http404 from exc
        other = index - 1 if name == "up" else index + 1
        if 0 <= other < len(ids):
            ids[index], ids[other] = ids[other], ids[index]
        call, success = (
            lambda: services.reorder_agenda(seance=seance, actor=user, item_ids=ids),
            _("The agenda was reordered."),
        )
    else:
        raise Http404
    _result, response = perform(request, call, success=success, redirect_to=target)
    if name == "convene" and _result is not None:
        check = convocation_check(_result)
        if not check.ok:
            messages.warning(request, check.message)
    return response


@login_required
def roll_call(request: HttpRequest, pk: int) -> HttpResponse:
    seance = visible_or_404(
        Seance.objects.select_related("assembly", "collectivite"), request, pk=pk
    )
    members = list(members_in_office(seance.assembly, seance_day(seance)))
    current = {r.mandate_id: r for r in seance.roll_call.all()}
    if request.method == "POST":
        entries = []
        for mandate in members:
            status = request.POST.get(f"status_{mandate.pk}", AttendanceStatus.ABSENT)
            holder = request.POST.get(f"holder_{mandate.pk}") or None
            if status not in AttendanceStatus.values:
                status = AttendanceStatus.ABSENT
            entries.append(
                services.AttendanceEntry(
                    mandate.pk, AttendanceStatus(status), int(holder) if holder else None
                )
            )
        saved, response = perform(
            request,
            lambda: services.record_roll_call(seance=seance, actor=request.user, entries=entries),
            success=_("Attendance recorded."),
            redirect_to=reverse("seance-detail", args=[seance.pk]),
        )
        if saved is not None:
            return response
        current = {e.mandate_id: e for e in entries}
    rows = [
        (
            m,
            getattr(current.get(m.pk), "status", AttendanceStatus.PRESENT),
            getattr(current.get(m.pk), "proxy_holder_id", None),
        )
        for m in members
    ]
    return render(
        request,
        "deliberations/roll_call.html",
        {"seance": seance, "rows": rows, "members": members, "statuses": AttendanceStatus.choices},
    )


@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = visible_or_404(
        AgendaItem.objects.select_related(
            "seance__assembly", "seance__collectivite", "act", "vote"
        ),
        request,
        scope="seance__collectivite_id",
        pk=pk,
    )
    seance = item.seance
    members = members_in_office(seance.assembly, seance_day(seance))
    attendance = item.attendance.select_related(
        "mandate__official", "proxy_holder__official"
    ).order_by("mandate__rank")
    count = item_count(item) if item.attendance.exists() else None
    ballots = {}
    if hasattr(item, "vote"):
        ballots = {b.mandate_id: b for b in item.vote.ballots.all()}
    return render(
        request,
        "deliberations/item_detail.html",
        {
            "item": item,
            "seance": seance,
            "attendance": attendance,
            "count": count,
            "ballots": bool(ballots),
            "rows": [(row, ballots.get(row.mandate_id)) for row in attendance],
            "vote_form": VoteForm(),
            "movement_form": MovementForm(members=members),
            "postpone_form": PostponeForm(seance=seance),
            "reason_form": ReasonForm(),
            "choices": BallotChoice.choices,
            "can_manage": has_role(request.user, seance.collectivite, Role.CLERK, Role.ADMIN),
        },
    )


@login_required
@require_POST
def item_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    item = visible_or_404(
        AgendaItem.objects.select_related("seance"), request, scope="seance__collectivite_id", pk=pk
    )
    user = request.user
    target = reverse("item-detail", args=[item.pk])
    members = members_in_office(item.seance.assembly, seance_day(item.seance))
    if name == "vote":
        form = VoteForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Check the vote form: some values are not valid."))
            return redirect(target)
        kwargs = form.service_kwargs(request.POST)
        call, success = (
            lambda: services.record_vote(item=item, actor=user, **kwargs),
            _("The vote was recorded."),
        )
    elif name == "movement":
        form = MovementForm(request.POST, members=members)
        if not form.is_valid():
            messages.error(request, _("Choose the member and their new situation."))
            return redirect(target)
        data = form.cleaned_data
        call, success = (
            lambda: services.record_movement(
                item=item,
                actor=user,
                mandate=data["mandate"],
                status=data["status"],
                proxy_holder=data["proxy_holder"],
            ),
            _("The arrival or departure was recorded from this item on."),
        )
    elif name in ("interest", "no-interest"):
        mandate = members.filter(pk=request.POST.get("mandate") or 0).first()
        if mandate is None:
            raise Http404
        call, success = (
            lambda: services.declare_interest(
                item=item, actor=user, mandate=mandate, interested=name == "interest"
            ),
            _("The declaration of interest was recorded."),
        )
    elif name == "postpone":
        form = PostponeForm(request.POST, seance=item.seance)
        data = form.cleaned_data if form.is_valid() else {"to_seance": None, "reason": ""}
        call, success = (
            lambda: services.postpone_item(item=item, actor=user, **data),
            _("The item was postponed."),
        )
        target = reverse("seance-detail", args=[item.seance_id])
    elif name == "remove":
        reason = request.POST.get("reason", "")
        call, success = (
            lambda: services.remove_from_agenda(item=item, actor=user, reason=reason),
            _("The item was taken off the agenda."),
        )
        target = reverse("seance-detail", args=[item.seance_id])
    elif name == "cancel-vote":
        reason = request.POST.get("reason", "")
        call, success = (
            lambda: services.cancel_vote(item=item, actor=user, reason=reason),
            _("The vote was cancelled."),
        )
    else:
        raise Http404
    _result, response = perform(request, call, success=success, redirect_to=target)
    return response
