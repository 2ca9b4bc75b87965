"""Django project configuration: settings from the environment, URLs, WSGI/ASGI."""
