"""Settings of ``benchmarks/django_bench.py`` (filled in from environment
variables the bench sets before Django starts)."""

import os

SECRET_KEY = "bench"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["testserver", "127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "personalize_django",
    "benchmarks.benchshop",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "benchmarks.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_pg = os.environ.get("PERSONALIZE_BENCH_PG_DB")
if _pg:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _pg,
            "USER": os.environ.get("PERSONALIZE_TEST_PG_USER", "postgres"),
            "HOST": os.environ.get("PERSONALIZE_TEST_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("PERSONALIZE_TEST_PG_PORT", "5432"),
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("PERSONALIZE_BENCH_SQLITE", "bench.sqlite3"),
            # WAL as a production SQLite site would run it
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
            # the two-process bench runs its servers with and without persistent connections
            "CONN_MAX_AGE": int(os.environ.get("PERSONALIZE_BENCH_CONN_MAX_AGE", "0")),
        }
    }

CELERY_BROKER_URL = os.environ.get("PERSONALIZE_BENCH_BROKER", "")
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0}

PERSONALIZE = {
    "BACKEND": "local",
    "OPTIONS": {
        "path": os.environ.get("PERSONALIZE_BENCH_ENGINE", "bench-engine"),
        "auto_train": False,
    },
    # with a broker, delivery as in production (tasks queued by the publisher thread;
    # nothing consumes them during the bench); without one, rows just wait
    "DELIVERY": "celery" if CELERY_BROKER_URL else "manual",
}
if os.environ.get("PERSONALIZE_BENCH_DROP_EVERY_LIST"):
    PERSONALIZE["CACHE_KEEP_ITEM_LISTS_ON"] = ()
