import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inspections', '0003_round_point_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # rounds planned before the rule ranked every unit with a scored point: they keep a minimum of 1,
    # so no ranking already published moves; rounds planned from now on take the office's setting
    operations = [
        migrations.AddField(
            model_name='inspectionround',
            name='min_sample',
            field=models.PositiveSmallIntegerField(default=1, verbose_name='最少样本点位数'),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name='inspectionround',
            name='min_sample',
            field=models.PositiveSmallIntegerField(default=3, verbose_name='最少样本点位数'),
        ),
        migrations.CreateModel(
            name='InspectionSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('min_sample', models.PositiveSmallIntegerField(default=3, verbose_name='排名最少样本点位数')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='修改时间')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='修改人')),
            ],
            options={
                'verbose_name': '测评设置',
                'verbose_name_plural': '测评设置',
            },
        ),
    ]
