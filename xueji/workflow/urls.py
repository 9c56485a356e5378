from django.urls import path

from . import views

app_name = "workflow"

urlpatterns = [
    path("configs/", views.config_list, name="config_list"),
    path("configs/new/", views.config_create, name="config_create"),
    path("configs/<int:pk>/", views.config_edit, name="config_edit"),
    path("queue/", views.queue, name="queue"),
    path("queue/decide/", views.queue_decide, name="queue_decide"),
    path("businesses/<int:pk>/", views.business_detail, name="business_detail"),
    path("businesses/<int:pk>/decide/", views.business_decide, name="business_decide"),
    path("businesses/<int:pk>/reveal/", views.business_reveal, name="business_reveal"),
    path("businesses/<int:pk>/withdraw/", views.business_withdraw, name="business_withdraw"),
    path("businesses/<int:pk>/materials/", views.material_upload, name="material_upload"),
    path("materials/<int:pk>/", views.material, name="material"),
    path("open/", views.open_businesses, name="open_businesses"),
    path("open/clear/<int:school_pk>/", views.clear_school, name="clear_school"),
    path("windows/", views.window_list, name="window_list"),
    path("windows/<int:pk>/delete/", views.window_delete, name="window_delete"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/decide/", views.batch_decide, name="batch_decide"),
]
