from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from wenming.core import audit
from wenming.org.codes import code_error
from wenming.org.models import Membership, Role, Unit, UnitKind, User
from wenming.org.services import generate_password, place_unit


class Command(BaseCommand):
    help = "首次部署：建立本市（根单位）和市创建办的第一个账号，打印其临时密码"

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help="市级行政区划代码，6位，如 370200")
        parser.add_argument("--name", required=True, help="城市名称，如 某某市")
        parser.add_argument("--office-username", required=True, help="市创建办第一个账号的用户名")
        parser.add_argument("--office-name", default="", help="该账号使用人的姓名")

    def handle(self, *args, code, name, office_username, office_name, **options):
        if Unit.objects.filter(parent__isnull=True).exists():
            raise CommandError("本系统已建立城市，不能重复初始化")
        message = code_error(code, UnitKind.CITY, None, None)
        if message:
            raise CommandError(message)
        if User.objects.filter(username__iexact=office_username).exists():
            raise CommandError(f"用户名“{office_username}”已被使用")
        password = generate_password()
        with transaction.atomic():
            city = Unit.objects.create(name=name, kind=UnitKind.CITY, code=code)
            place_unit(city)
            user = User(username=office_username, full_name=office_name, must_change_password=True)
            user.set_password(password)
            user.save()
            Membership.objects.create(user=user, unit=city, role=Role.OFFICE)
            audit.record("org.init_city", target=city, unit=city, username="cli",
                         detail={"code": code, "office_username": office_username})
        self.stdout.write(self.style.SUCCESS(f"已建立 {name}（{code}）。"))
        self.stdout.write(f"市创建办账号：{office_username}  临时密码：{password}（首次登录须修改）")
