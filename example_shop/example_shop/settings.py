"""Settings of the example shop.

The embedded default needs nothing: SQLite and the local engine under
``EXAMPLE_SHOP_VAR`` (default ``example_shop/var``), Celery tasks run eagerly
in the web process. Environment variables switch to real services:

``DATABASE_URL=postgres://user:password@host:5432/name``
    PostgreSQL instead of SQLite.
``CELERY_BROKER_URL=redis://127.0.0.1:6379/0``
    Outbox delivery by a Celery worker
    (``celery -A example_shop worker -B`` from the ``example_shop`` folder)
    instead of eager tasks; ``REDIS_URL`` also switches Django's cache to Redis.
``PERSONALIZE_BACKEND=aws``
    Amazon Personalize instead of the local engine, configured by
    ``PERSONALIZE_AWS_REGION``, ``PERSONALIZE_AWS_TRACKING_ID``,
    ``PERSONALIZE_AWS_ITEMS_DATASET_ARN``, ``PERSONALIZE_AWS_USERS_DATASET_ARN``,
    ``PERSONALIZE_AWS_RECOMMENDER_<USE_CASE>`` (one per use case, e.g.
    ``PERSONALIZE_AWS_RECOMMENDER_ALSO_VIEWED``), ``PERSONALIZE_AWS_RANKING_CAMPAIGN``
    and ``PERSONALIZE_AWS_FILTER_<NAME>`` (one per filter, e.g.
    ``PERSONALIZE_AWS_FILTER_AVAILABLE``); ``PERSONALIZE_AWS_ENDPOINT_URL`` points
    the runtime at a local Personalize server. Credentials come from the usual
    boto3 chain (environment, profile, instance role).
``PERSONALIZE_MIN_DATA_SCALE``
    the local engine's readiness scale (default 0.05: 5% of Personalize's
    training minimums, so a demo shop's history makes every use case ready).
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("EXAMPLE_SHOP_VAR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-shop-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    # Token authentication for trusted services (POST items/ and users/).
    "rest_framework.authtoken",
    "drf_spectacular",
    # Swagger UI's and Redoc's scripts as static files (the API docs work offline).
    "drf_spectacular_sidecar",
    "personalize_django",
    "catalog",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Model events recorded during a request (checkout's Purchases) carry the
    # shopper's session id: the same one as their Views.
    "personalize_django.middleware.PersonalizeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_shop.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                # The personalize template tags need the request.
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "catalog.context_processors.shop",
            ],
        },
    },
]
WSGI_APPLICATION = "example_shop.wsgi.application"


def _database() -> dict:
    url = os.environ.get("DATABASE_URL")
    if not url:
        # A generous timeout: runserver's threads and eager delivery share one file.
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "shop.sqlite3",
            "OPTIONS": {"timeout": 20},
        }
    parts = urlparse(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"DATABASE_URL must be a postgres:// URL, not {parts.scheme}://")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# -- Celery: a real worker when a broker is configured, else eager tasks ----
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "memory://"
CELERY_TASK_ALWAYS_EAGER = not os.environ.get("CELERY_BROKER_URL")
CELERY_TASK_IGNORE_RESULT = True
# Fail fast when the broker is down (the rows wait in the outbox for the
# sweep), and keep a worker alive across a broker outage (docs/django/delivery.rst).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 0,
    "socket_timeout": 5,
    "socket_connect_timeout": 5,
    "health_check_interval": 10,
}
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BEAT_SCHEDULE = {
    # The safety net: deliver what a lost broker message left in the outbox.
    "personalize-sweep-outbox": {"task": "personalize_django.tasks.sweep_outbox", "schedule": 60.0},
}

# -- personalize_django ----------------------------------------------------
FILTERS = {
    # Placeholders take filter values:
    # {% recommendations ... filter="in_category" CATEGORY=product.category.name %}
    "in_category": "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)",
    "not_purchased": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")',
}


def _local_backend() -> dict:
    return {
        "BACKEND": "personalize_sdk.backends.local.LocalBackend",
        "OPTIONS": {
            "path": str(VAR_DIR / "engine"),
            # Personalize wants 1,000 interactions (and 1,000 of each type) before a
            # recommender trains; a small shop gets 5% of that.
            "min_data_scale": float(os.environ.get("PERSONALIZE_MIN_DATA_SCALE", "0.05")),
            # Recommended-for-you follows each click at once; the co-occurrence
            # models (also viewed, bought together) catch up every few minutes.
            "retrain_interval": float(os.environ.get("PERSONALIZE_RETRAIN_INTERVAL", "300")),
        },
    }


def _aws_backend() -> dict:
    env = os.environ
    prefix = "PERSONALIZE_AWS_"
    options = {"region_name": env.get(prefix + "REGION") or env.get("AWS_DEFAULT_REGION")}
    for key in (
        "TRACKING_ID",
        "ITEMS_DATASET_ARN",
        "USERS_DATASET_ARN",
        "RANKING_CAMPAIGN",
        "ENDPOINT_URL",
    ):
        if env.get(prefix + key):
            options[key.lower()] = env[prefix + key]
    for kind, option in (
        ("RECOMMENDER_", "recommenders"),
        ("CAMPAIGN_", "campaigns"),
        ("FILTER_", "filters"),
    ):
        found = {
            k[len(prefix + kind) :].lower(): v
            for k, v in env.items()
            if k.startswith(prefix + kind) and v
        }
        if found:
            options[option] = found
    filters = options.get("filters", {})
    return {
        "BACKEND": "personalize_sdk.backends.aws.AwsBackend",
        "OPTIONS": options,
        # On AWS a filter exists only once created in the dataset group: use those mapped.
        "FILTERS": {name: expr for name, expr in FILTERS.items() if name in filters},
    }


_backend = os.environ.get("PERSONALIZE_BACKEND", "local").lower()
if _backend == "aws":
    PERSONALIZE = _aws_backend()
elif _backend == "local":
    PERSONALIZE = {**_local_backend(), "FILTERS": FILTERS}
else:
    raise ValueError(f"PERSONALIZE_BACKEND must be 'local' or 'aws', not {_backend!r}")

PERSONALIZE.update(
    {
        "ITEM_SERIALIZER": "catalog.serializers.ProductSerializer",
        # Best sellers when a use case is not ready (a fresh AWS dataset group).
        "FALLBACK_USE_CASES": ("best_sellers", "most_viewed"),
        "CACHE_TIMEOUT": 60,
    }
)
