"""The admin site's titles, in the user's language (Chinese by default)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Dispute resolution portal: administration")
admin.site.site_title = _("Dispute resolution portal")
admin.site.index_title = _("Reference data and accounts")
