"""The JSON API: one django-ninja instance, mounted at /api/ (config/urls.py), assembled from the
apps' routers. Its OpenAPI 3 schema is generated from the code at /api/openapi.json and shown at
/api/docs (Swagger UI from ninja's own static files, served by the product: no CDN). The
plumbing — authentication, the JSON error answer, request bodies, pagination — is core/api.py;
the integrators' guide is docs/api.md."""

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from wenming.cases.api import router as problems
from wenming.core import api as core_api

api = NinjaAPI(
    title="文明城市创建管理平台 接口",
    version="1",
    description=("问题整改接口。登录方式：网页登录后的 Cookie（提交时带 X-CSRFToken），或请求头 "
                 "`Authorization: Bearer <接口令牌>`（由市创建办在“接口令牌”页建立）。出错时返回 "
                 '`{"code": 错误代码, "message": 中文说明, "errors": {字段: [说明]}}`，错误代码见 docs/api.md。'),
    urls_namespace="api",
    auth=core_api.AUTH,
    renderer=core_api.Renderer(),
    docs=Swagger(settings={"persistAuthorization": True}),
)
core_api.install(api)
api.add_router("/problems/", problems)
