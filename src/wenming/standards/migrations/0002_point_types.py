from django.db import migrations


def seed(apps, schema_editor):
    from wenming.standards.defaults import load

    load(apps)


class Migration(migrations.Migration):
    dependencies = [("standards", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
