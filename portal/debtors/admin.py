from . import admin_import  # noqa: F401  (registers the portfolio import admin)
