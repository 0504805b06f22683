"""A signer's own certificates: upload a PKCS#12 once, see its subject and expiry, delete it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import DelibreError

from .. import selectors, services
from ..forms import CertificateUploadForm
from ..models import UserCertificate
from ..services.certificates import MAX_PKCS12_BYTES


@login_required
@require_http_methods(["GET", "POST"])
def certificates(request: HttpRequest) -> HttpResponse:
    form = CertificateUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data["file"].read(MAX_PKCS12_BYTES + 1)
            certificate = services.add_certificate(
                actor=request.user,
                data=data,
                password=form.cleaned_data["password"],
                label=form.cleaned_data["label"],
            )
        except DelibreError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(
                request,
                _("Your certificate “%(name)s” is ready to sign.")
                % {"name": certificate.common_name},
            )
            return redirect("signing:certificates")
    return render(
        request,
        "signing/certificates.html",
        {
            "form": form,
            "certificates": selectors.certificates_of(request.user),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def certificate_delete(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = get_object_or_404(UserCertificate, pk=pk, user=request.user)
    try:
        services.delete_certificate(certificate=certificate, actor=request.user)
    except DelibreError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The certificate was deleted."))
    return redirect("signing:certificates")
