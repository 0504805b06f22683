"""Login (throttled, with the second factor), two-factor enrolment and API tokens."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Mapping
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import DelibreError
from deliberations.models import User

from . import services, throttle
from .exceptions import InvalidCode
from .forms import CodeForm, LoginForm, known_user
from .middleware import TWO_FACTOR_OK_KEY

PENDING_KEY = "delibre_2fa_pending"
#: Seconds a password checked waits for its second factor.
PENDING_SECONDS = 300


def _after_login(request: HttpRequest, user: User, *, second_factor: str) -> None:
    if second_factor != "none" or not services.needs_two_factor(user):
        request.session[TWO_FACTOR_OK_KEY] = True
    throttle.clear(throttle.Subject(user.username, throttle.client_address(request)))
    services.record_security_event(
        "account.login.succeeded",
        user=user,
        username=user.username,
        address=throttle.client_address(request),
        data={"second_factor": second_factor},
    )


class LoginView(auth_views.LoginView):
    form_class = LoginForm

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        if services.has_active_device(user):
            self.request.session[PENDING_KEY] = {
                "user": user.pk,
                "backend": user.backend,  # type: ignore[attr-defined]
                "at": int(time.time()),
                "next": self.get_success_url(),
            }
            return redirect("login-verify")
        response = super().form_valid(form)
        _after_login(self.request, user, second_factor="none")
        return response


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def login_verify(request: HttpRequest) -> HttpResponse:
    """The second step of a login for an account with a second factor."""
    pending = request.session.get(PENDING_KEY)
    if not pending or int(time.time()) - int(pending["at"]) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        messages.info(request, _("Log in again: the code was not entered in time."))
        return redirect("login")
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING_KEY, None)
        return redirect("login")
    subject = throttle.Subject(user.username, throttle.client_address(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        minutes = settings.DELIBRE_LOGIN_LOCKOUT_SECONDS // 60
        if throttle.is_locked(subject):
            services.record_security_event(
                "account.login.throttled",
                user=user,
                username=user.username,
                address=subject.address,
                journal=False,
            )
            form.add_error(
                None,
                _("Too many failed attempts. Wait %(minutes)d minutes, then try again.")
                % {"minutes": minutes},
            )
        else:
            try:
                kind = services.check_code(user=user, code=form.cleaned_data["code"])
            except InvalidCode as exc:
                locked_now = throttle.register_failure(subject)
                services.record_security_event(
                    "account.login.second_factor_failed",
                    user=user,
                    username=user.username,
                    address=subject.address,
                )
                if locked_now:
                    services.record_security_event(
                        "account.login.locked",
                        user=user,
                        username=user.username,
                        address=subject.address,
                    )
                form.add_error("code", str(exc.message))
            else:
                target = pending.get("next") or reverse("home")
                request.session.pop(PENDING_KEY, None)
                login(request, user, backend=pending["backend"])
                _after_login(request, user, second_factor=kind)
                if kind == "recovery":
                    messages.warning(
                        request,
                        _(
                            "You used a recovery code. Each works once: check how many you have left."
                        ),
                    )
                if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                    target = reverse("home")
                return HttpResponseRedirect(target)
    return render(request, "accounts/login_verify.html", {"form": form})


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin site logs in through the same throttled, two-factor login."""
    target = request.GET.get("next") or reverse("admin:index")
    return redirect(f"{reverse('login')}?{urlencode({'next': target})}")


def _qr_data_uri(text: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


ENROL_KEY = "delibre_2fa_enrol"


@sensitive_post_parameters("code")
@login_required
@never_cache
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app (QR code, then a first code), or turn it off.

    The secret being enrolled lives in the session, encrypted, until a first code confirms it:
    showing this page writes nothing to the database.
    """
    user = cast(User, request.user)  # login_required
    form = CodeForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "required": services.needs_two_factor(user)}
    device = services.device_for(user)
    active = device is not None and device.is_active
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action")
        try:
            if action == "disable" and active:
                services.disable_device(actor=user, code=form.cleaned_data["code"])
                messages.success(request, _("The second factor is turned off."))
                return redirect("two-factor")
            if action == "confirm" and not active:
                codes = services.confirm_device(
                    actor=user,
                    code=form.cleaned_data["code"],
                    pending=request.session.get(ENROL_KEY, ""),
                )
                request.session.pop(ENROL_KEY, None)
                request.session[TWO_FACTOR_OK_KEY] = True
                messages.success(request, _("The second factor is on."))
                return render(request, "accounts/two_factor_codes.html", {"codes": codes})
        except DelibreError as exc:
            form.add_error("code", str(exc.message))
    if active:
        context["active"] = True
    else:
        secret = services.pending_secret(request.session.get(ENROL_KEY, ""))
        if secret is None:
            secret, request.session[ENROL_KEY] = services.new_enrolment()
        uri = services.provisioning_uri(actor=user, secret=secret)
        context.update({"secret": secret, "qr": _qr_data_uri(uri)})
    return render(request, "accounts/two_factor.html", context)


class TokenRequestSerializer(AuthTokenSerializer):
    otp = serializers.CharField(
        label=_("Second-factor code"), required=False, allow_blank=True, max_length=20
    )


class TokenView(APIView):
    """An API token for a username and password (and the second-factor code when enrolled).

    Throttled like the login page; refused to accounts whose roles require a second factor
    they have not set up.
    """

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    serializer_class = TokenRequestSerializer

    def post(self, request, *args: Any, **kwargs: Any) -> Response:  # type: ignore[no-untyped-def]
        if not isinstance(request.data, Mapping):
            return Response(
                {"detail": _("Send an object with a username and a password."), "code": "invalid"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        username = str(request.data.get("username", ""))[:150]
        subject = throttle.Subject(username, throttle.client_address(request))
        minutes = settings.DELIBRE_LOGIN_LOCKOUT_SECONDS // 60
        if throttle.is_locked(subject):
            services.record_security_event(
                "account.token.throttled",
                user=known_user(username),
                username=username,
                address=subject.address,
                journal=False,
            )
            return Response(
                {
                    "detail": _(
                        "Too many failed attempts. Wait %(minutes)d minutes, then try again."
                    )
                    % {"minutes": minutes},
                    "code": "too_many_attempts",
                },
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        serializer = self.serializer_class(data=request.data, context={"request": request})
        if not serializer.is_valid():
            if "non_field_errors" in serializer.errors:
                self._failure(subject, username, "account.token.failed")
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        user = serializer.validated_data["user"]
        if services.has_active_device(user):
            try:
                services.check_code(user=user, code=serializer.validated_data.get("otp") or "")
            except InvalidCode as exc:
                self._failure(subject, username, "account.token.second_factor_failed")
                return Response(
                    {"detail": str(exc.message), "code": exc.code, "field": "otp"},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        elif services.needs_two_factor(user):
            return Response(
                {
                    "detail": _(
                        "Your roles require a second factor: set it up on your account page first."
                    ),
                    "code": "two_factor_required",
                },
                status=status.HTTP_403_FORBIDDEN,
            )
        token, _created = Token.objects.get_or_create(user=user)
        throttle.clear(subject)
        services.record_security_event(
            "account.token.issued", user=user, username=username, address=subject.address
        )
        return Response({"token": token.key})

    def _failure(self, subject: throttle.Subject, username: str, action: str) -> None:
        user = known_user(username)
        locked_now = throttle.register_failure(subject)
        services.record_security_event(
            action, user=user, username=username, address=subject.address
        )
        if locked_now:
            services.record_security_event(
                "account.login.locked", user=user, username=username, address=subject.address
            )
