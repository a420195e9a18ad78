from pathlib import Path

from django.core.management.base import BaseCommand

from ...workflow.docs import workflow_markdown


class Command(BaseCommand):
    help = "根据流程表重新生成 docs/workflow.md"

    def add_arguments(self, parser):
        parser.add_argument("--output", default="docs/workflow.md")

    def handle(self, *args, output, **options):
        Path(output).write_text(workflow_markdown(), encoding="utf-8")
        self.stdout.write(f"已写入 {output}")
