from django.core.management.base import BaseCommand

from wenming.demo.build import TqdmProgress, build_demo, login_help
from wenming.demo.org import DEMO_PASSWORD
from wenming.org.models import Unit


class Command(BaseCommand):
    help = "生成演示城市（江城市）：单位、机构、包保关系和演示账号；可复现（同一随机种子得到同样的数据）"

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["small", "city"], default="small",
                            help="small：2个区、几十个单位，几秒完成；city：12个区、1500个社区、6000个网格、3000个工作人员账号")
        parser.add_argument("--seed", type=int, default=2026, help="随机种子（默认 2026）")
        parser.add_argument("--reset", action="store_true",
                            help="先删除现有的单位、机构、包保关系和账号（审计日志保留）")
        parser.add_argument("--if-empty", action="store_true",
                            help="数据库中已有单位时不生成、也不报错（用于重复执行 ./run demo）")

    def handle(self, *args, scale, seed, reset, if_empty=False, **options):
        from django.conf import settings
        from django.core.management import CommandError

        if settings.PRODUCTION:
            raise CommandError("生产模式（WENMING_PRODUCTION=1）下不能生成演示数据：演示账号使用公开的密码。")
        if if_empty and not reset and Unit.objects.exists():
            self.stdout.write(f"数据库中已有单位数据，跳过生成演示城市。演示账号（如 office_city）的密码为 {DEMO_PASSWORD}。")
            return
        result = build_demo(scale=scale, seed=seed, reset=reset, stdout=self.stdout, progress=TqdmProgress())
        self.stdout.write(login_help(result.org))
        self.stdout.write(self.style.SUCCESS(f"演示城市“{result.org.city.name}”已生成。"))
