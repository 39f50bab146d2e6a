"""The web layer both Flask apps share: the kiosk (``kiosk``) and the panel (``web``).

Settings and the database per app (:mod:`webcore.app`), error handlers
(:mod:`webcore.errors`), JSON body validation (:mod:`webcore.json_body`), "load or 404"
(:mod:`webcore.loaders`), gettext catalogues compiled at start-up (:mod:`webcore.i18n`)
and the one OpenAPI document (:mod:`webcore.openapi`).  ``kiosk`` and ``web`` import
this package and never each other.
"""
