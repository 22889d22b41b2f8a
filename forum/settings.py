"""Settings, all from the environment, with safe defaults for local use.

Local: nothing to set (SQLite in WAL mode, in-process cache, console email).
Production: DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL, EMAIL_*.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Under pytest the suite gets the development key and plain static storage.
TESTING = env_bool("FORUM_TESTING", "pytest" in sys.modules)

_DEV_SECRET = "django-insecure-local-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env("SECRET_KEY") or (_DEV_SECRET if DEBUG or TESTING else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")

# Never "*": allauth trusts ALLOWED_HOSTS when it checks next= redirects.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
if "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list real host names, not '*'.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "allauth",
    "allauth.account",
    "forum",
    "accounts",
    "discuz",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Guest pages from the cache (forum/page_cache.py): before sessions, language,
    # CSRF and auth, which a request without a session cookie does not need on a hit;
    # and before CSP, whose header a page is stored with (rebuilding the same policy
    # for every hit was a tenth of one).
    "forum.page_cache.GuestPageCacheMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # One MGET for what every page reads from the cache (forum/request_cache.py).
    "forum.request_cache.PrefetchMiddleware",
    "forum.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.VisitMiddleware",
    "forum.middleware.PrivateForMembersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "forum.moderation.bans.BanMiddleware",
]

ROOT_URLCONF = "forum.urls"
WSGI_APPLICATION = "forum.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "forum.context_processors.site",
            ],
            "builtins": ["forum.templatetags.forum_tags"],
        },
    },
    # The hot pages (index, board, thread) only, by render(..., using="jinja2"): see
    # forum/jinja_env.py and docs/performance.md.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "forum.jinja_env.environment",
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "forum.context_processors.site",
                "forum.jinja_env.bound_helpers",
            ],
        },
    },
]

# Databases: DATABASE_URL (postgres://…) in production; SQLite locally, tuned for a
# forum's many short writes: WAL lets readers go on while one writer commits,
# IMMEDIATE takes the write lock at BEGIN (no deadlock-prone lock upgrades), and
# the busy timeout makes a second writer wait instead of failing.
# Persistent connections (CONN_MAX_AGE seconds, checked before reuse so a restarted
# database costs one retry, not an error page).
# PostgreSQL's JIT is off: a forum runs only short queries, and one whose row count the
# planner overestimates (a floor range of a 100,000-floor thread) paid ~1 s of JIT
# compilation per page (bench/results.md).
def _database(url: str) -> dict:
    config = dj_database_url.parse(url, conn_max_age=int(env("CONN_MAX_AGE", "60")),
                                   conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.postgresql":
        options = config.setdefault("OPTIONS", {})
        options["options"] = f"-c jit=off {options.get('options', '')}".strip()
        # Server-side prepared statements: psycopg prepares a query the connection has
        # run DATABASE_PREPARE_THRESHOLD times, and PostgreSQL stops planning it anew
        # (planning was most of its CPU for a member's page). "off" for a pooler in
        # transaction mode that cannot keep them (PgBouncer < 1.21; docs/deploy.md).
        threshold = env("DATABASE_PREPARE_THRESHOLD", "5")
        if threshold != "off":
            options["server_side_binding"] = True
            options["prepare_threshold"] = int(threshold)
    return config


if env("DATABASE_URL"):
    DATABASES = {"default": _database(env("DATABASE_URL"))}
    # An optional read replica: forum/db_router.py sends reads there, and writes,
    # transactions and a member's requests right after a write to the primary.
    if env("DATABASE_REPLICA_URL"):
        DATABASES["replica"] = {**_database(env("DATABASE_REPLICA_URL")),
                                "TEST": {"MIRROR": "default"}}
        DATABASE_ROUTERS = ["forum.db_router.PrimaryReplicaRouter"]
        MIDDLEWARE.insert(MIDDLEWARE.index("forum.page_cache.GuestPageCacheMiddleware") + 1,
                          "forum.db_router.PrimaryAfterWriteMiddleware")
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if env("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "forum.cache_backend.RedisCache",  # reuses its clients
            "LOCATION": env("REDIS_URL"),
            "KEY_PREFIX": env("CACHE_PREFIX", "forum"),
        }
    }
    # Sessions read from Redis, written through to the database (survive a flush).
    SESSION_ENGINE = "forum.sessions"  # cached_db, read with the page's prefetch
else:
    # One process only (make run, tests): an in-process cache is not shared between
    # workers, so gunicorn.conf.py runs a single worker without REDIS_URL.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Django's defaults first (the first one hashes new passwords); then the members
# imported from Discuz!, whose old hashes are upgraded on their first login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "discuz.hashers.DiscuzBcryptHasher",
    "discuz.hashers.DiscuzMD5Hasher",
]

# Django's and allauth's backends, loading the member's profile with the member.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]

# --- allauth -------------------------------------------------------------------
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", "none")  # none|optional|mandatory
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_USERNAME_MIN_LENGTH = 2
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# allauth's own limits (429 page, or a form error for failed logins); rates are
# "N/period/per" with per = ip, key (the login name) or user.
ACCOUNT_RATE_LIMITS = {
    "login": env("FORUM_RATE_LOGIN", "30/m/ip"),
    "login_failed": env("FORUM_RATE_LOGIN_FAILED", "10/m/ip,5/5m/key"),
    "signup": env("FORUM_RATE_SIGNUP", "10/h/ip"),  # sign-ups per IP per hour
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
}
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "account_login"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"

# --- language and time ----------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- static and media -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private_media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Post attachments: no URL of their own, served through a permission-checking view.
    "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not (DEBUG or TESTING)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- email -----------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "forum@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env("EMAIL_HOST")
    EMAIL_PORT = int(env("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = env("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- security ---------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
_HTTPS = env_bool("HTTPS", not DEBUG and not TESTING)
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
LANGUAGE_COOKIE_SECURE = _HTTPS
SECURE_SSL_REDIRECT = _HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000" if _HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_HSTS_PRELOAD = _HTTPS
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_FAILURE_VIEW = "forum.views.errors.csrf_failure"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}

# --- forum -----------------------------------------------------------------------
FORUM_POSTS_PER_PAGE = int(env("FORUM_POSTS_PER_PAGE", "20"))
FORUM_THREADS_PER_PAGE = int(env("FORUM_THREADS_PER_PAGE", "30"))
FORUM_TITLE_MAX_LENGTH = 80
FORUM_BODY_MAX_LENGTH = int(env("FORUM_BODY_MAX_LENGTH", "50000"))
FORUM_MAX_TAGS = 5
# A too-long post must come back as a form error with the text kept, so the request
# must be parsed: 1 MB of Chinese is ~9 MB URL-encoded. Django's 2.5 MB default would
# refuse it before any form could keep it.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(env("FORUM_MAX_FORM_MB", "10")) * 1024 * 1024
# The guest page cache (forum/page_cache.py): on unless FORUM_PAGE_CACHE=0. Writes
# invalidate pages at once; the lifetime bounds only what no write announces (author
# card counters of other threads, view counts in board lists).
FORUM_PAGE_CACHE = env_bool("FORUM_PAGE_CACHE", True)
FORUM_PAGE_CACHE_SECONDS = int(env("FORUM_PAGE_CACHE_SECONDS", "60"))
# Each process keeps the guest pages it served last, used while their generations are
# current (forum/page_cache.py, LOCAL): bytes per process, 0 for none.
FORUM_PAGE_CACHE_LOCAL_BYTES = int(env("FORUM_PAGE_CACHE_LOCAL_BYTES", str(4 * 1024 * 1024)))
# With a read replica: a browser that just wrote reads from the primary this long
# (a member must see their own reply however far the replica lags behind).
FORUM_REPLICA_STICKY_SECONDS = int(env("FORUM_REPLICA_STICKY_SECONDS", "15"))
# View counts are buffered in the cache and written with one F() update per batch
# (docs/deploy.md, "View counts", for the size).
FORUM_VIEW_FLUSH_EVERY = int(env("FORUM_VIEW_FLUSH_EVERY", "100"))
# Credits never fall below this through deductions (Discuz!'s credit floor).
FORUM_CREDITS_FLOOR = int(env("FORUM_CREDITS_FLOOR", "0"))
# Absolute address for links in notification emails, e.g. https://bbs.example.com
SITE_URL = env("SITE_URL", "")

# --- moderation and abuse resistance (forum/moderation/) ---------------------------
# Rate limits at the request boundary, per member (posts, threads, reports) or per IP
# and login name (admin login failures): "N/period", period s/m/h/d with an optional
# count ("5/15m"); empty switches a limit off. Kept in the cache (Redis in production).
FORUM_RATE_LIMITS = {
    "post": env("FORUM_RATE_POSTS", "6/m"),  # replies and new threads per member
    "thread": env("FORUM_RATE_THREADS", "10/h"),  # new threads per member
    "report": env("FORUM_RATE_REPORTS", "20/h"),
    "admin_login": env("FORUM_RATE_ADMIN_LOGIN", "5/15m"),  # failures per IP + name
    "admin_login_ip": env("FORUM_RATE_ADMIN_LOGIN_IP", "30/h"),  # failures per IP
}
# New members (fewer posts OR younger than this) may not post links or images, and
# wait in the approval queue of boards that ask for it.
FORUM_NEW_MEMBER_POSTS = int(env("FORUM_NEW_MEMBER_POSTS", "3"))
FORUM_NEW_MEMBER_HOURS = int(env("FORUM_NEW_MEMBER_HOURS", "24"))
# The duplicate-post guard: the same text from one member within this many seconds.
FORUM_DUPLICATE_SECONDS = int(env("FORUM_DUPLICATE_SECONDS", "60"))
# How long a moved thread's stub stays listed in its old board.
FORUM_MOVED_STUB_DAYS = int(env("FORUM_MOVED_STUB_DAYS", "7"))

SITE_NAME_DEFAULT = _("Office Writers Forum")
