"""Forms of the server-rendered pages. They parse input only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .enums import (
    ActesNature,
    ActStatus,
    ActType,
    AttendanceStatus,
    BallotChoice,
    Role,
    VoteMode,
    VoteResult,
)
from .models import (
    Act,
    Assembly,
    Collectivite,
    ElectedOfficial,
    Mandate,
    Matiere,
    NumberingScheme,
    Seance,
    Service,
    User,
)


def paragraphs(text: str) -> list[str]:
    """One paragraph per non-empty line."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def blocks(text: str) -> list[str]:
    """Paragraph blocks separated by an empty line (articles may span several lines)."""
    parts = [part.strip() for part in text.replace("\r\n", "\n").split("\n\n")]
    return [" ".join(line.strip() for line in part.splitlines()) for part in parts if part]


class ProjectForm(forms.Form):
    act_type = forms.ChoiceField(label=_("Type"), choices=ActType.choices)
    nature = forms.TypedChoiceField(
        label=_("ACTES nature"),
        choices=[("", _("Default for the type")), *ActesNature.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    objet = forms.CharField(
        label=_("Objet"),
        max_length=600,
        help_text=_("One line, at most 499 characters, as it will be sent to the prefecture."),
    )
    matiere = forms.ModelChoiceField(
        label=_("Classification (matière)"),
        queryset=Matiere.objects.none(),
        required=False,
    )
    assembly = forms.ModelChoiceField(
        label=_("Assembly"), queryset=Assembly.objects.none(), required=False
    )
    rapporteur = forms.ModelChoiceField(
        label=_("Rapporteur"), queryset=Mandate.objects.none(), required=False
    )
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.none(), required=False
    )
    summary = forms.CharField(
        label=_("Explanatory statement"),
        widget=forms.Textarea,
        required=False,
        help_text=_("Exposé des motifs: it feeds the note de synthèse sent with the convocation."),
    )
    visas = forms.CharField(
        label=_("Visas"),
        widget=forms.Textarea,
        required=False,
        help_text=_("One per line, e.g. « Vu le code général des collectivités territoriales ; »"),
    )
    considerants = forms.CharField(
        label=_("Considérants"),
        widget=forms.Textarea,
        required=False,
        help_text=_("One per line, e.g. « Considérant que … ; »"),
    )
    articles = forms.CharField(
        label=_("Articles"),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        help_text=_("Separate the articles with an empty line; they are numbered automatically."),
    )
    budget_amount = forms.DecimalField(
        label=_("Budget impact (€)"), required=False, max_digits=14, decimal_places=2
    )
    budget_year = forms.IntegerField(
        label=_("Budget year"), required=False, min_value=1900, max_value=2999
    )
    budget_name = forms.CharField(label=_("Budget"), required=False, max_length=120)
    budget_line = forms.CharField(label=_("Budget line"), required=False, max_length=120)
    confidential = forms.BooleanField(
        label=_("Not to be published (personal data)"), required=False
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, collectivite: Collectivite, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["matiere"].queryset = Matiere.objects.filter(
            version__collectivite=collectivite, version__is_current=True, level__gte=2
        ).order_by("code")
        self.fields["assembly"].queryset = Assembly.objects.filter(collectivite=collectivite)
        self.fields["rapporteur"].queryset = Mandate.objects.filter(
            assembly__collectivite=collectivite, end_date__isnull=True
        ).select_related("official")
        self.fields["service"].queryset = Service.objects.filter(collectivite=collectivite)

    @classmethod
    def initial_for(cls, act: Act) -> dict[str, Any]:
        return {
            "act_type": act.act_type,
            "nature": act.nature,
            "objet": act.objet,
            "matiere": act.matiere_id,
            "assembly": act.assembly_id,
            "rapporteur": act.rapporteur_id,
            "service": act.service_id,
            "summary": act.summary,
            "visas": "\n".join(act.visas),
            "considerants": "\n".join(act.considerants),
            "articles": "\n\n".join(act.articles),
            "budget_amount": act.budget_amount,
            "budget_year": act.budget_year,
            "budget_name": act.budget_name,
            "budget_line": act.budget_line,
            "confidential": act.confidential,
            "revision": act.revision,
        }

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("revision", None)
        data["visas"] = paragraphs(data["visas"])
        data["considerants"] = paragraphs(data["considerants"])
        data["articles"] = blocks(data["articles"])
        if not data.get("nature"):
            data.pop("nature")
        return data


class AnnexForm(forms.Form):
    file = forms.FileField(
        label=_("PDF file"), widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"})
    )
    title = forms.CharField(label=_("Title"), required=False, max_length=255)
    transmitted = forms.BooleanField(
        label=_("Send to the prefecture with the act"), required=False, initial=True
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ActFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *ActStatus.choices], required=False
    )
    act_type = forms.ChoiceField(
        label=_("Type"), choices=[("", _("All")), *ActType.choices], required=False
    )


class SeanceForm(forms.Form):
    assembly = forms.ModelChoiceField(label=_("Assembly"), queryset=Assembly.objects.none())
    date = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    place = forms.CharField(label=_("Place"), max_length=255)
    president = forms.ModelChoiceField(
        label=_("President"), queryset=Mandate.objects.none(), required=False
    )
    secretary = forms.ModelChoiceField(
        label=_("Sitting secretary"), queryset=Mandate.objects.none(), required=False
    )
    urgency = forms.BooleanField(label=_("Urgency (one clear day of convocation)"), required=False)
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, collectivite: Collectivite, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["assembly"].queryset = Assembly.objects.filter(collectivite=collectivite)
        members = Mandate.objects.filter(
            assembly__collectivite=collectivite, end_date__isnull=True
        ).select_related("official", "assembly")
        self.fields["president"].queryset = members
        self.fields["secretary"].queryset = members


class AddToAgendaForm(forms.Form):
    act = forms.ModelChoiceField(label=_("Project"), queryset=Act.objects.none())
    position = forms.IntegerField(label=_("Position"), required=False, min_value=1)

    def __init__(self, *args: Any, seance: Seance, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["act"].queryset = (
            Act.objects.filter(
                collectivite_id=seance.collectivite_id,
                act_type=ActType.DELIBERATION,
                status__in=[ActStatus.VALIDATED, ActStatus.POSTPONED],
            )
            .filter(Q(assembly__isnull=True) | Q(assembly_id=seance.assembly_id))
            .order_by("objet")
        )


class ConveneForm(forms.Form):
    convocation_date = forms.DateField(
        label=_("Convocation sent on"), widget=forms.DateInput(attrs={"type": "date"})
    )


class PostponeForm(forms.Form):
    to_seance = forms.ModelChoiceField(
        label=_("To the séance of"), queryset=Seance.objects.none(), required=False
    )
    reason = forms.CharField(label=_("Reason"), required=False)

    def __init__(self, *args: Any, seance: Seance, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["to_seance"].queryset = Seance.objects.filter(
            assembly_id=seance.assembly_id, date__gt=seance.date
        ).exclude(status="closed")


class MovementForm(forms.Form):
    mandate = forms.ModelChoiceField(label=_("Member"), queryset=Mandate.objects.none())
    status = forms.ChoiceField(label=_("From this item"), choices=AttendanceStatus.choices)
    proxy_holder = forms.ModelChoiceField(
        label=_("Proxy given to"), queryset=Mandate.objects.none(), required=False
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["mandate"].queryset = members
        self.fields["proxy_holder"].queryset = members


class VoteForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("How the vote is recorded"), choices=VoteMode.choices, initial=VoteMode.TOTALS
    )
    secret = forms.BooleanField(label=_("Secret ballot"), required=False)
    for_count = forms.IntegerField(label=_("For"), required=False, min_value=0)
    against_count = forms.IntegerField(label=_("Against"), required=False, min_value=0)
    abstention_count = forms.IntegerField(label=_("Abstentions"), required=False, min_value=0)
    not_voting_count = forms.IntegerField(label=_("Not taking part"), required=False, min_value=0)
    result = forms.ChoiceField(
        label=_("Result"),
        required=False,
        choices=[
            ("", "—"),
            (VoteResult.ADOPTED, VoteResult.ADOPTED.label),
            (VoteResult.REJECTED, VoteResult.REJECTED.label),
        ],
    )
    president_choice = forms.ChoiceField(
        label=_("President's vote (on a tie)"),
        required=False,
        choices=[("", "—"), *BallotChoice.choices],
    )
    default_choice = forms.ChoiceField(
        label=_("Members not listed below vote"),
        required=False,
        choices=[("", "—"), *BallotChoice.choices],
        initial=BallotChoice.FOR,
    )

    def service_kwargs(self, post: Any) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs: dict[str, Any] = {"mode": data["mode"], "secret": data["secret"]}
        if data["mode"] == VoteMode.TOTALS:
            kwargs["counts"] = {
                "for": data["for_count"] or 0,
                "against": data["against_count"] or 0,
                "abstention": data["abstention_count"] or 0,
                "not_voting": data["not_voting_count"] or 0,
            }
            kwargs["president_choice"] = data["president_choice"] or None
        elif data["mode"] == VoteMode.RESULT:
            kwargs["result"] = data["result"] or None
        elif data["mode"] == VoteMode.DETAIL:
            choices = {}
            for key, value in post.items():
                if key.startswith("ballot_") and value:
                    choices[int(key.removeprefix("ballot_"))] = value
            kwargs["choices"] = choices
            kwargs["default_choice"] = data["default_choice"] or None
        return kwargs


# Settings (administrators)


class CollectiviteForm(forms.ModelForm):
    class Meta:
        model = Collectivite
        fields = [
            "name",
            "kind",
            "siren",
            "siret",
            "departement",
            "population",
            "address",
            "postal_code",
            "city",
            "email",
            "website",
            "logo",
            "actes_arrondissement",
            "actes_nature",
            "prefecture_id",
            "pes_id_coll",
            "pes_cod_col",
            "pes_cod_bud",
            "pes_id_post",
        ]


class AssemblyForm(forms.ModelForm):
    class Meta:
        model = Assembly
        fields = ["name", "kind", "quorum_required"]


class OfficialForm(forms.ModelForm):
    user = forms.ModelChoiceField(
        label=_("User account (for signers)"), queryset=User.objects.none(), required=False
    )

    class Meta:
        model = ElectedOfficial
        fields = ["civility", "first_name", "last_name", "email", "user"]

    def __init__(self, *args: Any, collectivite: Collectivite, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(
            memberships__collectivite=collectivite
        ).distinct()


class MandateForm(forms.ModelForm):
    class Meta:
        model = Mandate
        fields = [
            "assembly",
            "role",
            "quality",
            "political_group",
            "start_date",
            "end_date",
            "rank",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, collectivite: Collectivite, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["assembly"].queryset = Assembly.objects.filter(collectivite=collectivite)


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = ["name", "code"]


class NumberingForm(forms.ModelForm):
    class Meta:
        model = NumberingScheme
        fields = ["act_type", "pattern", "counter_name", "yearly_reset"]


class ClassificationUploadForm(forms.Form):
    file = forms.FileField(label=_("Classification file (RetourClassification XML)"))


class RoleForm(forms.Form):
    username = forms.CharField(label=_("User name"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
