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

# The REST API, mounted as the docs tell shops to (when DRF is installed).
import importlib.util as _importlib_util  # noqa: E402

from django.urls import include  # noqa: E402

if _importlib_util.find_spec("rest_framework") and _importlib_util.find_spec("drf_spectacular"):
    urlpatterns.append(path("api/personalize/", include("personalize_django.api.urls")))
    # A shop page with a recommendation block and personalize.js (tests/django/browser).
    from .browser import views as _browser_views  # noqa: E402

    urlpatterns.append(path("shop/recommended/", _browser_views.recommended_page, name="browser-recommended"))
