# One date format per language, on every page, PDF and message (see docs/money.md):
# Colombian day/month/year. The SHORT_ names are the same so no template can differ.
DATE_FORMAT = SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "d/m/Y H:i"
TIME_FORMAT = "H:i"
