from django.core.management.base import BaseCommand, CommandError

from wenming.core.audit import verify_chain


class Command(BaseCommand):
    help = "校验审计日志的哈希链：任何一条记录被修改或删除都会被发现"

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(f"审计日志校验失败：{report.reason}（已校验 {report.checked} 条）")
        self.stdout.write(self.style.SUCCESS(f"审计日志完整：共 {report.checked} 条记录，哈希链校验通过"))
