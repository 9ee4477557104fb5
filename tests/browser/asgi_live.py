"""The application the live-conversation browser test serves with Daphne (``asgi_server``):
the project's ASGI application, with the static files served as the WSGI live server does."""

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from config.asgi import application as project_application

application = ASGIStaticFilesHandler(project_application)
