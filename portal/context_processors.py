from django.conf import settings


def portal(request):
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "SUPPORT_PHONE": settings.SUPPORT_PHONE,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "AGENCY_NAME": settings.AGENCY_NAME,
        "AGENCY_NIT": settings.AGENCY_NIT,
    }
