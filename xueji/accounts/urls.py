from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/otp/", views.otp_view, name="otp"),
    path("login/captcha.png", views.captcha_image, name="captcha"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/export/", views.user_export, name="user_export"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("online/", views.online_users, name="online_users"),
    path("api-token/", views.api_token, name="api_token"),
]
