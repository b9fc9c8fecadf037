"""Settings shared by every environment; values come from the environment (django-environ).

Unset DATABASE_URL means SQLite and unset REDIS_URL means eager Celery, so a fresh
checkout runs with no services at all.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "portal.staff.admin_config.StaffAdminConfig",  # django.contrib.admin, home = staff workspace
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "django_htmx",
    "template_partials",
    "portal.audit",
    "portal.debtors",
    "portal.access",
    "portal.outreach",
    "portal.selfservice",
    "agreements",
    "payments",
    "portal.analytics",
    # Last: its post_migrate step reads every other app's permissions.
    "portal.staff",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.access.middleware.DebtorSessionMiddleware",
    # Instead of LocaleMiddleware: the debtor's record or an explicit choice, never
    # Accept-Language (docs/access.md).
    "portal.access.middleware.PageLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks, so it sees the final response of a login attempt.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses any attempt while the link / IP / user is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "portal.access.backends.PaymentLinkBackend",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

PORTAL_NAME = env("PORTAL_NAME", default="Portal de pagos")
SUPPORT_PHONE = env("SUPPORT_PHONE", default="601 555 0100")
SUPPORT_EMAIL = env("SUPPORT_EMAIL", default="ayuda@agencia.example")
# The collections agency behind the portal, named with its tax id on every page and on the
# "Verify this message" page.
AGENCY_NAME = env("AGENCY_NAME", default="Agencia de Cobranzas Demo S.A.S.")
AGENCY_NIT = env("AGENCY_NIT", default="900.000.000-0")
# Base of the links printed by create_payment_link and sent in messages.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

# Debtor sessions: idle and absolute limits (OWASP ASVS 3.3), enforced server-side.
DEBTOR_SESSION_IDLE_SECONDS = 15 * 60
DEBTOR_SESSION_ABSOLUTE_SECONDS = 2 * 60 * 60
SESSION_COOKIE_AGE = 12 * 60 * 60  # staff; debtor sessions set their own shorter expiry
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# django-axes: 5 failed identity checks lock the link for 30 minutes. One public IP is
# often a whole mobile network (carrier NAT), so the IP is locked only past a far higher
# count of failures across links within a sliding window (portal.access.selectors),
# read from axes' failure log. Staff logins lock per user and IP together, at 5.
AXES_FAILURE_LIMIT = 5
AXES_ENABLE_ACCESS_FAILURE_LOG = True
ACCESS_IP_FAILURE_LIMIT = env.int("ACCESS_IP_FAILURE_LIMIT", default=50)
ACCESS_IP_FAILURE_WINDOW_MINUTES = env.int("ACCESS_IP_FAILURE_WINDOW_MINUTES", default=30)
AXES_COOLOFF_MINUTES = 30
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_USERNAME_CALLABLE = "portal.access.axes_config.attempt_username"
AXES_LOCKOUT_PARAMETERS = "portal.access.axes_config.lockout_parameters"
AXES_LOCKOUT_CALLABLE = "portal.access.axes_config.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_SENSITIVE_PARAMETERS = ["password", "answer"]
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None

# Content-Security-Policy: scripts only from us and only with this request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

LANGUAGE_CODE = "es-co"
LANGUAGES = [("es", "Español"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date format per language (portal/formats/<lang>/formats.py); templates use `|day`
# for dates and `|date:"DATETIME_FORMAT"` for moments.
FORMAT_MODULE_PATH = ["portal.formats"]
TIME_ZONE = "America/Bogota"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "portal.storage.StaticStorage"},
    # Personal data (agreement PDFs, receipts, portfolio files): no URL, served only by
    # views that check who asks (docs/architecture.md, Files).
    "private": {"BACKEND": "portal.storage.PrivateStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private")

# Large portfolio files go to disk, not memory, once they pass 2.5 MB (Django's default).
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    # Sessions read from Redis, written through to the database.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

CELERY_TASK_SERIALIZER = "json"
# Nothing reads a task's return value: storing one would cost every queued task a
# subscribe on the sender and a write on the worker (docs/performance.md, *Webhooks*).
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 55 * 60
# PDF rendering (~100 ms of CPU each) has its own queue, so a burst of receipts never
# delays webhook processing on "celery"; `make worker` consumes both (docs/payments.md).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "payments.tasks.render_payment_receipt": {"queue": "documents"},
    "agreements.tasks.render_agreement_pdf": {"queue": "documents"},
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "refresh-days-past-due": {
        "task": "portal.debtors.tasks.refresh_days_past_due",
        "schedule": 60 * 60,
    },
    "debtors-fail-stale-imports": {
        "task": "portal.debtors.tasks.fail_stale_imports",
        "schedule": 15 * 60,
    },
    "agreements-daily-review": {
        "task": "agreements.tasks.daily_agreement_review",
        "schedule": crontab(hour=5, minute=0),
    },
    "payments-reconcile": {
        "task": "payments.tasks.reconcile_recent_payments",
        "schedule": crontab(minute=20),
    },
    "payments-mercadopago": {
        "task": "payments.tasks.mercadopago_housekeeping",
        "schedule": 10 * 60,
    },
    "payments-autopay": {
        "task": "payments.tasks.charge_due_autopays",
        # After the daily review has marked what is late.
        "schedule": crontab(hour=7, minute=0),
    },
    "analytics-train-propensity": {
        "task": "portal.analytics.tasks.train_propensity_model",
        "schedule": crontab(day_of_month=2, hour=2, minute=0),
    },
    "analytics-score-debts": {
        "task": "portal.analytics.tasks.score_debts",
        "schedule": crontab(hour=3, minute=0),
    },
    # Best channel and hour per debtor (docs/analytics.md), from the day's history.
    "analytics-contact-timing": {
        "task": "portal.analytics.tasks.contact_timing_refresh_task",
        "schedule": crontab(hour=3, minute=30),
    },
}

# Audit chain (portal/audit): record() appends without a lock and the beat seals new rows
# into the hash chain every AUDIT_SEAL_SECONDS. Without Redis there is no beat, so each
# record() seals right after its transaction commits instead.
AUDIT_SEAL_SECONDS = env.int("AUDIT_SEAL_SECONDS", default=5)
AUDIT_SEAL_INLINE = env.bool("AUDIT_SEAL_INLINE", default=not REDIS_URL)
CELERY_BEAT_SCHEDULE["audit-seal-chain"] = {
    "task": "portal.audit.tasks.seal_audit_chain",
    "schedule": AUDIT_SEAL_SECONDS,
    # A seal that waited longer than the interval is superseded by the next one.
    "options": {"expires": AUDIT_SEAL_SECONDS},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Stripe (payments/). Without the two keys the pay pages say payments are not configured.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300
# Test-only: localstripe's API and its Stripe.js stand-in (which has the Card Element only).
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
STRIPE_JS_URL = env("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
STRIPE_ELEMENT = env("STRIPE_ELEMENT", default="payment")  # "payment" or "card"
# Added to the CSP of the checkout page only (payments.stripe_api.checkout_csp).
STRIPE_FRAME_ORIGINS = ["https://js.stripe.com", "https://hooks.stripe.com"]
STRIPE_CONNECT_ORIGINS = ["https://api.stripe.com"]

# Mercado Pago (payments/mercadopago_api.py), Colombia: PSE, Efecty vouchers, Checkout Pro.
# Without the access token the portal offers no Mercado Pago payment.
MERCADOPAGO_ACCESS_TOKEN = env("MERCADOPAGO_ACCESS_TOKEN", default="")
# The "secret signature" of the account's Webhooks configuration (x-signature HMAC key).
MERCADOPAGO_WEBHOOK_SECRET = env("MERCADOPAGO_WEBHOOK_SECRET", default="")
# Test-only: the fake server's URL (payments/devmercadopago.py); "" is https://api.mercadopago.com.
MERCADOPAGO_API_BASE = env("MERCADOPAGO_API_BASE", default="")
# A notification whose x-signature ts is further than this from now is refused (replays).
MERCADOPAGO_WEBHOOK_TOLERANCE_SECONDS = env.int(
    "MERCADOPAGO_WEBHOOK_TOLERANCE_SECONDS", default=300
)
# Days an Efecty cash voucher can be paid before Mercado Pago cancels it.
MERCADOPAGO_CASH_DAYS = env.int("MERCADOPAGO_CASH_DAYS", default=3)
# Days a debtor's pay-only link for someone else (a relative) stays usable.
THIRD_PARTY_LINK_DAYS = env.int("THIRD_PARTY_LINK_DAYS", default=7)

# Webhook events are processed by up to this many drain tasks at once (payments/services/
# events.py); more than the workers' processes buys nothing.
PAYMENT_EVENT_DRAINERS = env.int("PAYMENT_EVENT_DRAINERS", default=4)
# A drainer processes up to this many events per transaction (one savepoint each): fewer
# commits per posting, row locks held a batch's time (~25 ms an event) at most.
PAYMENT_EVENT_BATCH = env.int("PAYMENT_EVENT_BATCH", default=10)
CELERY_BEAT_SCHEDULE["payments-drain-events"] = {
    "task": "payments.tasks.drain_stripe_events",
    "schedule": 60,
}
# Reconciliation (beat, hourly) looks this many days back for what webhooks missed.
PAYMENT_RECONCILE_DAYS = env.int("PAYMENT_RECONCILE_DAYS", default=3)
# Autopay: charges per installment (first try included) and days between them.
PAYMENT_AUTOPAY_MAX_ATTEMPTS = env.int("PAYMENT_AUTOPAY_MAX_ATTEMPTS", default=3)
PAYMENT_AUTOPAY_RETRY_DAYS = env.int("PAYMENT_AUTOPAY_RETRY_DAYS", default=2)
# Smallest "amount of your choice" per currency, in minor units.
PAYMENT_MIN_FREE_MINOR = {"COP": 20_000_00, "USD": 10_00}

# Portfolio imports on PostgreSQL check their foreign keys set-based when the database
# role may set session_replication_role; see portal/debtors/importing/pg_loader.py.
PORTFOLIO_IMPORT_SET_BASED_CHECKS = env.bool("PORTFOLIO_IMPORT_SET_BASED_CHECKS", default=True)

# Outreach (portal/outreach). One backend per channel; without Twilio credentials SMS and
# WhatsApp print to the console, and every message is listed in admin (Messages = outbox).
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_SMS_FROM = env("TWILIO_SMS_FROM", default="")
TWILIO_WHATSAPP_FROM = env("TWILIO_WHATSAPP_FROM", default="")
TWILIO_MESSAGING_SERVICE_SID = env("TWILIO_MESSAGING_SERVICE_SID", default="")
_TWILIO = "portal.outreach.channels.twilio.TwilioBackend"
_CONSOLE = "portal.outreach.channels.local.ConsoleBackend"
OUTREACH_BACKENDS = {
    "sms": _TWILIO if TWILIO_ACCOUNT_SID else _CONSOLE,
    "whatsapp": _TWILIO if TWILIO_ACCOUNT_SID else _CONSOLE,
    "email": "portal.outreach.channels.email.EmailBackend",
    # Calls are made by agents; the message is the record of the attempt.
    "call": "portal.outreach.channels.local.OutboxBackend",
}
# Per-country overrides of portal/outreach/rules.py, e.g. {"CO": {"weekly_cap": 2}}.
OUTREACH_RULES = env.json("OUTREACH_RULES", default={})
CELERY_BEAT_SCHEDULE.update(
    {
        "outreach-dispatch-due": {"task": "portal.outreach.tasks.dispatch_due", "schedule": 60},
        "outreach-reminders": {
            "task": "agreements.tasks.send_reminders",
            "schedule": crontab(hour=9, minute=0),
        },
    }
)
# Staff KPI dashboard rollups (portal/staff/rollup.py): recent days often, all nightly.
# Without Redis there is no beat, so opening the dashboard rebuilds them when stale.
KPI_REFRESH_ON_VIEW = env.bool("KPI_REFRESH_ON_VIEW", default=not REDIS_URL)
CELERY_BEAT_SCHEDULE.update(
    {
        "staff-kpis-recent": {"task": "portal.staff.tasks.refresh_kpis_recent", "schedule": 600},
        "staff-kpis-all": {
            "task": "portal.staff.tasks.refresh_kpis_all",
            "schedule": crontab(hour=3, minute=30),
        },
    }
)
