from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("shops/<int:pk>/", views.shop_page, name="shop"),
    path("requests/<int:pk>/review/", views.review, name="review"),
    path("reviews/photos/<int:pk>/", views.photo, name="photo"),
    path("reviews/photos/<int:pk>/thumb/", views.photo, {"variant": "thumb"}, name="photo_thumb"),
]
