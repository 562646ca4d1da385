"""Routers, one module per area. api.app.ROUTERS lists the modules included in the app."""
