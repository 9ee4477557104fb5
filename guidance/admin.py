"""Staff edit the articles here: the `support` group may add and change them (and arbitrators
read them); nobody deletes one from the help centre's list, they unpublish it."""

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("topic", "title_zh_hans", "title_en", "published", "updated_at")
    list_filter = ("published",)
    search_fields = ("title_zh_hans", "title_en", "body_zh_hans", "body_en")
    readonly_fields = ("updated_at",)
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 24})}}
    fieldsets = (
        (None, {"fields": ("topic", "slug", "published", "updated_at")}),
        (_("Chinese"), {"fields": ("title_zh_hans", "body_zh_hans")}),
        (_("English"), {"fields": ("title_en", "body_en")}),
    )
