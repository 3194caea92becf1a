from django.contrib import admin
from django.urls import path

from .testapp import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("products/<int:pk>/", views.product, name="product"),
    path("products/by-slug/<slug:slug>/", views.product_by_slug, name="product-by-slug"),
    path("products/by-sku/", views.product_by_sku, name="product-by-sku"),
    path("products/<int:pk>/gone/", views.product_gone, name="product-gone"),
    path("cbv/products/<int:pk>/", views.ProductDetail.as_view(), name="product-cbv"),
    path("cbv/quicklook/<int:pk>/", views.QuickLookDetail.as_view(), name="product-quicklook"),
    path("checkout/", views.checkout, name="checkout"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
]
