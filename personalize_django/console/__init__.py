"""The staff console in the Django admin: what the people who run the shop
look at (overview, preview, training, performance).

Its pages live under the admin site, at ``<admin>/personalize/console/<page>/``;
``personalize_django.admin`` installs them on Django's default site (a shop
with its own :class:`~django.contrib.admin.AdminSite` calls
:func:`personalize_django.console.urls.install` on it). Each page needs a staff
user holding ``personalize.view_outboxevent`` (superusers hold every
permission); "train now" also needs ``personalize.change_outboxevent``.

Modules, each importing only those after it::

    urls        the admin-site hook and the links in the app list
    views       the four pages (and the CSV download)
    tasks       the Celery task of "train now" (imported only when a worker runs it)
    training    the last report, the history of trainings, "train now"
    metrics     offline metrics on a held-out split, at training time
    preview     one list as the backend answers it, and the person's history
    performance impressions, clicks, CTR and conversions, by recommendation id
    overview    events per type per day, the outbox and the backend's status
    events      the window of a page, the events recorded in it, the figures kept
    charts      server-rendered SVG charts (no script, no asset, works offline)
"""
