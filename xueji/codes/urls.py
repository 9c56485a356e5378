from django.urls import path

app_name = "codes"

urlpatterns: list = []
