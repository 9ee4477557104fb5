from django.urls import path

from . import views

app_name = "help"

urlpatterns = [
    path("", views.index, name="index"),
    path("guide/<slug:slug>/", views.article, name="article"),
    path("guide/topic/<slug:topic>/", views.topic, name="topic"),
    path("deadlines/", views.deadlines, name="deadlines"),
]
