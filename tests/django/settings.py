"""Settings for the Django tests (SQLite; integration tests switch databases themselves)."""

SECRET_KEY = "tests"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "personalize_django",
    "tests.django.testapp",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "tests.django.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
STATIC_URL = "static/"
PERSONALIZE = {"BACKEND": "personalize_sdk.backends.memory.MemoryBackend"}
# The middleware makes the request known to model events (checkout's Purchase
# carries the shopper's session id).
MIDDLEWARE.append("personalize_django.middleware.PersonalizeMiddleware")
# Fast password hashing: the tests log users in.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The REST API (personalize_django.api) and its tests, when DRF is installed.
import importlib.util as _importlib_util  # noqa: E402

if _importlib_util.find_spec("rest_framework") and _importlib_util.find_spec("drf_spectacular"):
    INSTALLED_APPS += ["rest_framework", "rest_framework.authtoken", "drf_spectacular"]
