# One date format per language, on every page, PDF and message (see docs/money.md):
# the month spelled out, which no reader on either side of the Atlantic misreads.
DATE_FORMAT = SHORT_DATE_FORMAT = "M j, Y"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "M j, Y g:i A"
TIME_FORMAT = "g:i A"
