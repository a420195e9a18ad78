from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from wenming.core import audit  # noqa: F401  (registers the audit log's chain)
from wenming.core.chain import AnchorError, chains, check_anchor, read_last_anchor, verify


class Command(BaseCommand):
    help = ("校验审计日志（及问题时间线）的哈希链：任何一条记录被修改或删除都会被发现；"
            "并核对哈希链仍延续锚点文件中最后一次锚定的状态")

    def add_arguments(self, parser):
        parser.add_argument("--anchor", metavar="PATH",
                            help="锚点文件（wenming audit-anchor 写入的文件）；默认为 WENMING_AUDIT_ANCHOR_FILE，"
                                 "默认文件不存在时不核对锚点")

    def handle(self, *args, **options):
        path = Path(options["anchor"]) if options["anchor"] else Path(settings.AUDIT_ANCHOR_FILE)
        try:
            anchor = read_last_anchor(path)
        except AnchorError as error:
            raise CommandError(f"审计日志校验失败：{error}") from error
        if anchor is None and options["anchor"]:
            raise CommandError(f"审计日志校验失败：锚点文件 {path} 不存在或为空，无法核对")
        lines = []
        for chain in chains():
            report = verify(chain)
            if not report.ok:
                raise CommandError(f"审计日志校验失败：{report.reason}（{chain.noun}已校验 {report.checked} 条）")
            if anchor is not None:
                problem = check_anchor(chain, report, anchor)
                if problem:
                    raise CommandError(f"审计日志校验失败：{problem}（锚点文件 {path} 第 {anchor.line} 行）")
            lines.append(f"{chain.noun}完整：共 {report.checked} 条记录，哈希链校验通过")
        if anchor is not None:
            lines.append(f"与锚点一致：哈希链延续了 {anchor.at} 的锚点（{path}）")
        else:
            lines.append(f"未核对锚点：锚点文件 {path} 不存在（用 wenming audit-anchor 定期锚定，见运维手册）")
        for line in lines:
            self.stdout.write(self.style.SUCCESS(line) if "未核对" not in line else line)
