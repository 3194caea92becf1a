from django.contrib.auth import views as auth_views
from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.home, name="home"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("p/<int:pk>/<slug:slug>/", views.product, name="product"),
    path("p/<int:pk>/", views.product, name="product-short"),
    path("p/<int:pk>/image.svg", views.product_image, name="product-image"),
    path("search/", views.search, name="search"),
    path("cart/", views.cart_view, name="cart"),
    path("cart/add/<int:pk>/", views.add_to_cart, name="add-to-cart"),
    path("cart/line/<int:line_id>/", views.update_cart, name="update-cart"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/<int:pk>/", views.order_view, name="order"),
    path("account/", views.account, name="account"),
    path("account/signup/", views.signup, name="signup"),
    path("account/login/", auth_views.LoginView.as_view(), name="login"),
    path("account/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("app/", views.spa, name="spa"),
    path("api/shop/products/<int:pk>/", api.product_detail, name="api-product"),
]
