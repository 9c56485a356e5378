"""Keep the online-user list (在线用户) in step with logins and logouts."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from . import services


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        services.track_session(request, user)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        services.forget_session(request.session.session_key)
