from django.apps import AppConfig

AUDIT_LABELS = {
    "places.action": "点位操作", "places.point": "点位", "places.point_activate": "启用或停用点位",
    "places.point_create": "新建点位", "places.point_photo": "更换点位照片", "places.point_regenerate_qr": "重新生成二维码",
    "places.point_update": "修改点位", "places.points_import": "导入点位", "places.view": "查看点位",
}


class PlacesConfig(AppConfig):
    name = "wenming.places"
    label = "places"
    verbose_name = "点位"

    def ready(self) -> None:
        from wenming.core import extensions

        from . import policy, selectors

        extensions.register_audit_labels(AUDIT_LABELS)
        extensions.register_photo_viewer(selectors.photo_visible)
        extensions.register_place_finder(selectors.nearest_point_area)
        extensions.register_nav(110, "places:list", "点位", policy.may_view)
