"""Django settings, read from environment variables only (see docs/operations.md for the list)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ferry import config

BASE_DIR = config.BASE_DIR
DATA_DIR = config.data_dir()
SECRET_KEY = config.secret_key(DATA_DIR)
DEBUG = config.env_bool("FERRY_DEBUG")
# TLS is terminated by a reverse proxy in production; FERRY_TLS=1 turns on the cookie and HSTS rules.
FERRY_TLS = config.env_bool("FERRY_TLS")

ALLOWED_HOSTS = [h.strip() for h in config.env_str("FERRY_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in config.env_str("FERRY_CSRF_TRUSTED_ORIGINS", "http://127.0.0.1").split(",") if o.strip()
]

FERRY_ORG_NAME = config.env_str("FERRY_ORG_NAME", "Ferry")
FERRY_STAFF_PATH = config.env_str("FERRY_STAFF_PATH", "staff").strip("/")
# /healthz: a worker heartbeat older than this is stale (the worker beats every few seconds; the sweeps run
# every minute); a queued job waiting longer than FERRY_JOBS_OVERDUE_SECONDS is overdue; below
# FERRY_DISK_MARGIN_MB free in the data folder the disk is low and new requests, messages and uploads are refused.
FERRY_HEARTBEAT_STALE_SECONDS = config.env_int("FERRY_HEARTBEAT_STALE_SECONDS", 60, minimum=15)
FERRY_JOBS_OVERDUE_SECONDS = config.env_int("FERRY_JOBS_OVERDUE_SECONDS", 180, minimum=60)
FERRY_DISK_MARGIN_MB = config.env_int("FERRY_DISK_MARGIN_MB", 256, minimum=0)
# Finished background task rows are kept this long (for inspection), then deleted by the worker.
FERRY_TASK_RESULTS_KEEP_DAYS = config.env_int("FERRY_TASK_RESULTS_KEEP_DAYS", 7, minimum=1)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "ferry.core",
    "ferry.audit",
    "ferry.vault",
    "ferry.accounts",
    "ferry.intake",
    "ferry.cases",
    "ferry.incidents",
    "ferry.advocacy",
    "ferry.api",
    "rest_framework",
    "drf_spectacular",
]

MIDDLEWARE = [
    "ferry.core.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ferry.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "ferry.core.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "ferry.accounts.middleware.StaffUnlockMiddleware",
    "ferry.core.middleware.StaffTimezoneMiddleware",
    "ferry.core.middleware.ErrorPagesMiddleware",
    # Innermost: an advocacy view's file answer is checked before anything else sees it (P7).
    "ferry.advocacy.door.ReleaseDoorMiddleware",
]

ROOT_URLCONF = "ferry.urls"
WSGI_APPLICATION = "ferry.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ferry" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ferry.core.context_processors.shell",
            ],
        },
    },
]

DATABASES = {"default": config.database(DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_USER_MODEL = "accounts.Staff"
LOGIN_URL = "accounts:login"
# Staff passphrases are checked by unwrapping the staff key (ferry.vault); Django's password
# field stays unusable, so no second, weaker hash of the passphrase exists.
AUTHENTICATION_BACKENDS = ["ferry.accounts.backends.VaultBackend"]

# Argon2id cost for staff keys and receipt codes: "moderate" is about 0.4 s and 256 MiB here.
FERRY_KDF_PROFILE = config.kdf_profile()
FERRY_SESSION_IDLE_MINUTES = config.env_int("FERRY_SESSION_IDLE_MINUTES", 30, minimum=1)
FERRY_SESSION_MAX_HOURS = config.env_int("FERRY_SESSION_MAX_HOURS", 12, minimum=1)
FERRY_UNLOCK_COOKIE = "ferry_unlock"
# Behind a reverse proxy, take the client address for login throttling from X-Forwarded-For's last hop.
FERRY_TRUSTED_PROXY = config.env_bool("FERRY_TRUSTED_PROXY")
OTP_TOTP_ISSUER = FERRY_ORG_NAME

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "ferry" / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
# One date and time style on every page, in each viewer's language (and, for staff, their own time zone).
FORMAT_MODULE_PATH = ["ferry.core.formats"]

STATIC_URL = "/static/"
# Set FERRY_STATIC_ROOT and run collectstatic for compressed, cache-friendly assets in production.
STATIC_ROOT = config.env_str("FERRY_STATIC_ROOT", "") or None
STATICFILES_DIRS = [BASE_DIR / "ferry" / "static"]
# Served by the app itself; collectstatic is not needed for `make run`.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_NAME = "ferry_session"
# Staff sessions live under the staff path only: public pages never see or carry them.
SESSION_COOKIE_PATH = f"/{FERRY_STAFF_PATH}/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_SECURE = FERRY_TLS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_PATH = f"/{FERRY_STAFF_PATH}/"  # only staff pages use it; the intake has its own form tokens
CSRF_COOKIE_AGE = None  # a browser-session cookie: nothing persistent stays on the device
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SECURE = FERRY_TLS
CSRF_FAILURE_VIEW = "ferry.core.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_HSTS_SECONDS = 63072000 if FERRY_TLS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = FERRY_TLS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if FERRY_TLS else None
X_FRAME_OPTIONS = "DENY"

# Sealed files (ferry/vault/files.py) go to their own storage: the data folder's files/ by default, or an
# S3-compatible bucket with FERRY_FILE_STORAGE=s3. "default" and "staticfiles" are Django's own defaults.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "ferry_files": config.file_storage(DATA_DIR),
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Uploads stay in memory and within limits (ferry/core/uploads.py); plaintext never touches a temp file.
FILE_UPLOAD_HANDLERS = ["ferry.core.uploads.BoundedMemoryUploadHandler"]
FERRY_UPLOAD_MAX_FILE_BYTES = config.env_int("FERRY_UPLOAD_MAX_FILE_MB", 10, minimum=1) * 1024 * 1024
FERRY_UPLOAD_MAX_TOTAL_BYTES = config.env_int("FERRY_UPLOAD_MAX_TOTAL_MB", 25, minimum=1) * 1024 * 1024
FERRY_UPLOAD_MAX_FILES = 5
# Far above FERRY_UPLOAD_MAX_FILES: past that the upload handler skips files and the form says so, text kept.
DATA_UPLOAD_MAX_NUMBER_FILES = 1000
# Evidence files (ferry/incidents/evidence.py) are kept whole and never altered, and may be larger than what
# the intake takes; they too stay in memory while sealed. Raising it means raising nginx's body size for the
# evidence pages too (docs/operations.md, "Evidence").
FERRY_EVIDENCE_MAX_FILE_BYTES = config.env_int("FERRY_EVIDENCE_MAX_FILE_MB", 25, minimum=1) * 1024 * 1024

# The anonymous intake (ferry/intake): where it lives, its camouflage, and its flood limits.
FERRY_INTAKE_PATH = config.env_str("FERRY_INTAKE_PATH", "").strip("/")
FERRY_INTAKE_TITLE = config.env_str("FERRY_INTAKE_TITLE", "")
FERRY_QUICK_EXIT_URL = config.env_str("FERRY_QUICK_EXIT_URL", "https://www.wikipedia.org/")
FERRY_INTAKE_HOURLY_CAP = config.env_int("FERRY_INTAKE_HOURLY_CAP", 300, minimum=0)
# While a flood is on, a browser with JavaScript may solve a puzzle of this many zero bits to keep its request
# among the regular ones (ferry/intake/puzzle.py); 0 turns the puzzle off.
FERRY_INTAKE_PUZZLE_BITS = config.env_int("FERRY_INTAKE_PUZZLE_BITS", 16, minimum=0)
# Files the intake keeps: per mailbox (a request and its messages), and for the whole intake (the hotline is
# told past the warning share). Past either, files are refused with a message and the text is kept.
FERRY_INTAKE_MAILBOX_MB = config.env_int("FERRY_INTAKE_MAILBOX_MB", 100, minimum=1)
FERRY_INTAKE_STORAGE_MB = config.env_int("FERRY_INTAKE_STORAGE_MB", 20_000, minimum=1)
FERRY_INTAKE_STORAGE_WARN_PERCENT = config.env_int("FERRY_INTAKE_STORAGE_WARN_PERCENT", 80, minimum=1)
FERRY_INTAKE_LOOKUPS_PER_MINUTE = config.env_int("FERRY_INTAKE_LOOKUPS_PER_MINUTE", 120, minimum=1)
FERRY_INTAKE_FOCUS_COUNTRIES = [
    c.strip().upper()
    for c in config.env_str("FERRY_INTAKE_FOCUS_COUNTRIES", "RU,BY,KZ,UZ,KG,TJ,TM,AZ,AM,GE,UA,TR").split(",")
    if c.strip()
]
FERRY_MAILBOX_IDLE_MINUTES = 30
# News of what a person sent is e-mailed to staff once per period of this many hours, at a moment drawn for
# each period (accounts.tasks.activity_mail_moment); emergencies go at once.
FERRY_ACTIVITY_MAIL_HOURS = config.env_int("FERRY_ACTIVITY_MAIL_HOURS", 4, minimum=1)

EMAIL_HOST = config.env_str("FERRY_SMTP_HOST", "localhost")
EMAIL_PORT = config.env_int("FERRY_SMTP_PORT", 25, minimum=1)
EMAIL_HOST_USER = config.env_str("FERRY_SMTP_USER", "")
EMAIL_HOST_PASSWORD = config.env_str("FERRY_SMTP_PASSWORD", "")
EMAIL_USE_TLS = config.env_bool("FERRY_SMTP_STARTTLS")
# The worker sends alert mail; an invitation is sent from the administrator's request. A slow or silent
# server delays either by at most this.
EMAIL_TIMEOUT = config.env_int("FERRY_SMTP_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = config.env_str("FERRY_MAIL_FROM", "noreply@localhost")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if config.env_bool("FERRY_SMTP_ENABLED")
    else "django.core.mail.backends.console.EmailBackend"
)

# Logs carry no request lines: the web server is told not to log access, and Django's own
# request logger only records errors, never with request bodies or client addresses.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "scrub": {"()": "ferry.core.logging.ScrubRequestFilter"},
        "server_path": {"()": "ferry.core.logging.ServerPathFilter"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["scrub"]},
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": [], "level": "CRITICAL", "propagate": False},
        # The web server of `make run` (waitress): its lines lose the request path.
        "waitress": {"handlers": ["console"], "level": "WARNING", "filters": ["server_path"], "propagate": False},
        "django.security": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # At DEBUG this logger writes whole template contexts (receipt codes, decrypted text): never below INFO.
        "django.template": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # At DEBUG these write every request to the bucket (object keys, headers): keep them quiet.
        "botocore": {"level": "WARNING"},
        "boto3": {"level": "WARNING"},
        "s3transfer": {"level": "WARNING"},
    },
}

# The REST API (ferry/api, docs/api.md): JSON only, tokens in the Authorization header only, errors as
# problem+json, the public endpoints rate-limited per client (counted in the cache, the address hashed).
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["ferry.api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["ferry.api.access.StaffAccess"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ferry.api.problems.problem_handler",
    "DEFAULT_THROTTLE_RATES": {"public": config.env_str("FERRY_API_PUBLIC_RATE", "120/min")},
    "NUM_PROXIES": 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Ferry API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": rf"/({FERRY_STAFF_PATH}/)?api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ferry.api.schema.problems_everywhere",
    ],
}
