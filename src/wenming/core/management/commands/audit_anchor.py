from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from wenming.core import audit  # noqa: F401  (registers the audit log's chain)
from wenming.core.chain import AnchorError, anchor_line, chains, read_last_anchor, verify, write_anchor


class Command(BaseCommand):
    help = ("把审计日志哈希链的当前状态（记录条数、最后一条的哈希、时间；问题时间线同样）作为一行 JSON "
            "追加到锚点文件。锚点文件应保存在数据库服务器以外，之后 wenming audit-verify --anchor 据此发现"
            "删除末尾记录或整链重建")

    def add_arguments(self, parser):
        parser.add_argument("--file", metavar="PATH",
                            help="锚点文件；默认为 WENMING_AUDIT_ANCHOR_FILE（未设置时为数据目录下的 audit-anchors.jsonl）")

    def handle(self, *args, **options):
        path = Path(options["file"]) if options["file"] else Path(settings.AUDIT_ANCHOR_FILE)
        try:
            previous = read_last_anchor(path)
        except AnchorError as error:
            raise CommandError(f"未写入锚点：{error}") from error
        reports = []
        for chain in chains():
            # from the last anchor on (what came before it was checked when it was written);
            # a chain that no longer extends it is refused, so a tampering is never anchored
            start = previous.heads.get(chain.key) if previous is not None else None
            report = verify(chain, start=start)
            if not report.ok:
                raise CommandError(f"未写入锚点：{report.reason}。请先运行 wenming audit-verify 查明原因")
            reports.append(report)
        line = anchor_line(reports)
        try:
            write_anchor(path, line)
        except AnchorError as error:
            raise CommandError(f"未写入锚点：{error}") from error
        summary = "，".join(f"{chain.noun} {report.checked} 条" for chain, report in zip(chains(), reports, strict=True))
        self.stdout.write(self.style.SUCCESS(f"已锚定：{summary}；已追加到 {path}"))
