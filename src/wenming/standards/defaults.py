"""Point types every city inspects (DESIGN.md §6); seeded by migration 0002. The office adds more."""

POINT_TYPES = [
    ("JD", "街道办事处"), ("SQ", "社区"), ("CZC", "城中村"), ("XQ", "居民小区"), ("WHZ", "综合文化站"),
    ("WHZX", "社区综合文化服务中心"), ("NM", "农贸市场/集贸市场"), ("CS", "公共厕所"), ("ZW", "政务服务大厅"),
    ("CK", "窗口单位"), ("YY", "医院"), ("XX", "学校及周边"), ("CZ", "车站"), ("GJ", "公交站台"),
    ("GY", "公园广场"), ("ZGD", "主次干道"), ("SYJ", "商业大街"), ("BJ", "背街小巷"), ("GD", "建筑工地"),
]


def load(apps=None) -> None:
    """Create the missing types; existing rows are the office's."""
    if apps is None:
        from django.apps import apps as django_apps

        apps = django_apps
    PointType = apps.get_model("standards", "PointType")
    for sort, (code, name) in enumerate(POINT_TYPES):
        if not PointType.objects.filter(code=code).exists() and not PointType.objects.filter(name=name).exists():
            PointType.objects.create(code=code, name=name, sort=sort)
