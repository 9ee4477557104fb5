FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/var/lib/aftersales
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build-only DJANGO_SETTINGS_MODULE=config.settings.production \
    python manage.py collectstatic --noinput
EXPOSE 8000
# One ASGI process (pages and WebSockets); run more containers to serve more (README).
CMD ["daphne", "config.asgi:application", "--bind", "0.0.0.0", "--port", "8000"]
