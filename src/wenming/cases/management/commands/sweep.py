import time

from django.core.management.base import BaseCommand

from wenming.archives import sweep as archive_sweep
from wenming.core import jobs, outbound
from wenming.plans import orphans
from wenming.plans.escalation import sweep as task_sweep

from ...escalation.sweeper import sweep
from ...metrics import daily

ARCHIVE_INTERVAL = 3600   # the archive's links and reminders: once an hour is enough


class Command(BaseCommand):
    help = ("巡检到期问题：到期前预警、逾期下发督办单、仍逾期下发督办函、列入通报批评；并清理过期的导出文件，"
            "重新提交未被后台任务处理的短信/邮件；汇总驾驶舱的问题日统计；归集创城档案材料并提醒到期未齐的材料；删除回滚后无记录引用的上传文件")

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="持续运行（生产环境），每隔 --interval 秒巡检一次")
        parser.add_argument("--interval", type=int, default=60)
        parser.add_argument("--limit", type=int, default=500, help="每批最多处理的问题数")

    def handle(self, *args, loop, interval, limit, **options):
        archived_at = None
        while True:
            report = sweep(limit=limit)
            if report.claimed or not loop:
                done = "，".join(f"{name} {n}" for name, n in sorted(report.actions.items())) or "无"
                self.stdout.write(f"巡检：处理 {report.claimed} 件（{done}），跳过 {report.skipped} 件")
            tasks = task_sweep(limit=limit)
            if tasks.claimed or not loop:
                done = "，".join(f"{name} {n}" for name, n in sorted(tasks.actions.items())) or "无"
                self.stdout.write(f"任务督办：处理 {tasks.claimed} 项（{done}）")
            cleaned = jobs.cleanup()
            if cleaned.files_deleted or cleaned.stale_failed or not loop:
                self.stdout.write(f"清理：删除过期导出文件 {cleaned.files_deleted} 个，"
                                  f"标记中断的后台任务 {cleaned.stale_failed} 个")
            days = daily.refresh()
            if days or not loop:
                self.stdout.write(f"问题日汇总：重新汇总 {len(days)} 天")
            if archived_at is None or time.monotonic() - archived_at >= ARCHIVE_INTERVAL:
                archived = archive_sweep.run()
                archived_at = time.monotonic()
                self.stdout.write(f"创城档案：归集新增 {archived.collected.added} 份、移除 {archived.collected.removed} 份，"
                                  f"到期提醒 {archived.reminded} 条")
                pruned = orphans.prune()
                self.stdout.write(f"上传文件：检查 {pruned.checked} 个，删除无记录引用的文件 {pruned.deleted} 个")
            resubmitted = outbound.resubmit_stale()
            if resubmitted or not loop:
                self.stdout.write(f"外发消息：重新提交未处理的短信/邮件 {resubmitted} 条")
            if not loop:
                return
            if report.claimed < limit:
                time.sleep(interval)
