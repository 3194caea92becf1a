from django.urls import path

from benchmarks.benchshop import views

urlpatterns = [
    path("plain/<int:pk>/", views.product),
    path("tracked/<int:pk>/", views.tracked_product),
    path("plain-layout/<int:pk>/", views.product_layout),
    path("tracked-layout/<int:pk>/", views.tracked_product_layout),
    path("plain-reco/<int:pk>/", views.product_reco),
    path("tracked-reco/<int:pk>/", views.tracked_product_reco),
    path("tracked-in-request-reco/<int:pk>/", views.tracked_in_request_product_reco),
    path("ping/", views.ping),
]
