"""A small django-oscar site for the adapter's tests: Oscar's apps, its
URLconf, personalize_django and the adapter, nothing else of ours (no
personalize.py, no forked app, no template edits)."""

from oscar.defaults import *  # noqa: F401,F403  (Oscar's settings, as its docs say)

from tests.django import settings as _base

SECRET_KEY = "oscar-tests"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
SITE_ID = 1
INSTALLED_APPS = [
    *(app for app in _base.INSTALLED_APPS if app.startswith("django.contrib.")),
    "django.contrib.sites",
    "django.contrib.flatpages",
    "personalize_django",
    # Before Oscar's apps: its templates override Oscar's.
    "personalize_django.contrib.oscar",
    "oscar.config.Shop",
    "oscar.apps.analytics.apps.AnalyticsConfig",
    "oscar.apps.checkout.apps.CheckoutConfig",
    "oscar.apps.address.apps.AddressConfig",
    "oscar.apps.shipping.apps.ShippingConfig",
    "oscar.apps.catalogue.apps.CatalogueConfig",
    "oscar.apps.catalogue.reviews.apps.CatalogueReviewsConfig",
    "oscar.apps.communication.apps.CommunicationConfig",
    "oscar.apps.partner.apps.PartnerConfig",
    "oscar.apps.basket.apps.BasketConfig",
    "oscar.apps.payment.apps.PaymentConfig",
    "oscar.apps.offer.apps.OfferConfig",
    "oscar.apps.order.apps.OrderConfig",
    "oscar.apps.customer.apps.CustomerConfig",
    "oscar.apps.search.apps.SearchConfig",
    "oscar.apps.voucher.apps.VoucherConfig",
    "oscar.apps.wishlists.apps.WishlistsConfig",
    "oscar.apps.dashboard.apps.DashboardConfig",
    "oscar.apps.dashboard.reports.apps.ReportsDashboardConfig",
    "oscar.apps.dashboard.users.apps.UsersDashboardConfig",
    "oscar.apps.dashboard.orders.apps.OrdersDashboardConfig",
    "oscar.apps.dashboard.catalogue.apps.CatalogueDashboardConfig",
    "oscar.apps.dashboard.offers.apps.OffersDashboardConfig",
    "oscar.apps.dashboard.partners.apps.PartnersDashboardConfig",
    "oscar.apps.dashboard.pages.apps.PagesDashboardConfig",
    "oscar.apps.dashboard.ranges.apps.RangesDashboardConfig",
    "oscar.apps.dashboard.reviews.apps.ReviewsDashboardConfig",
    "oscar.apps.dashboard.vouchers.apps.VouchersDashboardConfig",
    "oscar.apps.dashboard.communications.apps.CommunicationsDashboardConfig",
    "oscar.apps.dashboard.shipping.apps.ShippingDashboardConfig",
    "widget_tweaks",
    "haystack",
    "treebeard",
    "django_tables2",
]
_PERSONALIZE_MIDDLEWARE = "personalize_django.middleware.PersonalizeMiddleware"
MIDDLEWARE = [
    *(m for m in _base.MIDDLEWARE if m != _PERSONALIZE_MIDDLEWARE),
    "oscar.apps.basket.middleware.BasketMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
    _PERSONALIZE_MIDDLEWARE,
]
AUTHENTICATION_BACKENDS = [
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
]
DATABASES = _base.DATABASES
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"  # Oscar's migrations use it
ROOT_URLCONF = "tests.oscar_site.urls"
TEMPLATES = [
    {
        **_base.TEMPLATES[0],
        "OPTIONS": {
            "context_processors": [
                *_base.TEMPLATES[0]["OPTIONS"]["context_processors"],
                "oscar.apps.search.context_processors.search_form",
                "oscar.apps.checkout.context_processors.checkout",
                "oscar.apps.communication.notifications.context_processors.notifications",
                "oscar.core.context_processors.metadata",
            ]
        },
    }
]
STATIC_URL = "/static/"
MEDIA_URL = "/media/"
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "tests.oscar_site.search.CatalogueEngine"}}
# No image library in the tests: cards render without thumbnails.
OSCAR_THUMBNAILER = "tests.oscar_site.thumbnails.NoThumbnailer"
OSCAR_DEFAULT_CURRENCY = "EUR"
OSCAR_ALLOW_ANON_CHECKOUT = True
PASSWORD_HASHERS = _base.PASSWORD_HASHERS
PERSONALIZE = {
    "BACKEND": "personalize_sdk.backends.memory.MemoryBackend",
    "DELIVERY": "sync",
}
