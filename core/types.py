"""Type names for annotations across the apps (services, selectors, views); annotations only, not isinstance().

The project keeps Django's own user model (no AUTH_USER_MODEL), so `User` is
`django.contrib.auth.models.User`: the model django-stubs knows, with the reverse
`staff` profile grids adds to it.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.models import User as DjangoUser
from django.http import HttpRequest

# The project's user model: what a service or selector is handed once someone has signed in.
type User = DjangoUser
# What `request.user` is (django-stubs): a user, or AnonymousUser before sign-in.
type RequestUser = AbstractBaseUser | AnonymousUser


class AuthenticatedRequest(HttpRequest):
    """A request behind a login check, for views' annotations: its user is a real `User`."""

    user: User  # narrower than HttpRequest's, as the login check makes it
