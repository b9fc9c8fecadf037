from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-secret-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Tasks run inline in tests (and raise), whatever REDIS_URL says; the broker itself is
# exercised by tests that talk to Redis directly.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Nothing seals audit rows behind a test's back: tests about the chain call
# audit_chain_seal() themselves, as the beat would, on either engine.
AUDIT_SEAL_INLINE = False
# Providers are never called from tests: SMS and WhatsApp land in the outbox (the Message
# rows), email in Django's locmem outbox; the Twilio backend is tested on its own.
OUTREACH_BACKENDS = {
    "sms": "portal.outreach.channels.local.OutboxBackend",
    "whatsapp": "portal.outreach.channels.local.OutboxBackend",
    "email": "portal.outreach.channels.email.EmailBackend",
    "call": "portal.outreach.channels.local.OutboxBackend",
}
TWILIO_AUTH_TOKEN = "test-twilio-auth-token"
TWILIO_ACCOUNT_SID = "AC" + "0" * 32
TWILIO_SMS_FROM = "+15005550006"
TWILIO_WHATSAPP_FROM = "+14155238886"
